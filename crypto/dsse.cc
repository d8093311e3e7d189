#include "crypto/dsse.h"

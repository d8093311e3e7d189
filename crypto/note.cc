#include "crypto/note.h"

#include "api/json_codec.h"

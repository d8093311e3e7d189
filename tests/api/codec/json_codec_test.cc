#include "tests/testing/testing.h"

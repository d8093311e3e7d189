#include "ledger/checkpoint.h"

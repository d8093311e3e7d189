#include "ledger/encoding.h"

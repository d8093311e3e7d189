#include "ledger/merkle.h"

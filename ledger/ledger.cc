#include "ledger/ledger.h"

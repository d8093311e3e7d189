#include "ledger/entry.h"

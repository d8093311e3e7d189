#include "ledger/store.h"

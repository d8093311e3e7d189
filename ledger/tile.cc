#include "ledger/tile.h"

#include "ledger/tlog_proof.h"

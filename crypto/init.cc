#include "crypto/init.h"

#include <sodium.h>

namespace ipledger {

bool InitCrypto() { return sodium_init() >= 0; }

}  // namespace ipledger

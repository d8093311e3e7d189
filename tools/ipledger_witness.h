// `ipledger witness`: a C2SP tlog-witness server (ledger/log/witness.h over api::Server).
//
//   ipledger witness --data-dir W --listen HOST:PORT --name NAME --log-vkey FILE...
//
// W/witness.key is the witness's Ed25519 key (created with W/witness.vkey, its
// cosignature/v1 vkey, on the first start, when the vkey is also printed); W/state holds
// the latest cosigned size and root of each log. Single-threaded caller.
#pragma once

namespace ipledger {

// Runs the witness until SIGINT or SIGTERM. Exit status: 0 after a clean stop, 1 on a
// failure, 2 on bad usage. Requires InitCrypto() to have succeeded.
int RunWitness(int argc, char** argv);

}  // namespace ipledger

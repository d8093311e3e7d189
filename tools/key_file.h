// Key files: one line holding the base64 of a 32-byte Ed25519 seed (api.md §10).
//
// Files are created with mode 0600 and refused when group or others can read them.
// All file I/O for keys stays here. Thread-compatible.
#pragma once

#include <string>

#include "crypto/keys.h"
#include "ledger/base/status.h"

namespace ipledger {

// Writes `key`'s seed to a new file `path` (mode 0600, fsynced). kAlreadyExists if the
// file exists (a key is never overwritten); kUnavailable on an I/O error.
Status WriteKeyFile(const std::string& path, const SigningKey& key);

// Reads a key file. kNotFound if missing; kFailedPrecondition if group or others may
// read it; kInvalidArgument if it is not one line of base64 of 32 bytes.
StatusOr<SigningKey> ReadKeyFile(const std::string& path);

// Writes `contents` to a new file `path` (mode 0644, fsynced); kAlreadyExists if present.
Status WriteNewFile(const std::string& path, const std::string& contents);

// Reads a whole file; kNotFound if missing, kUnavailable on an I/O error.
StatusOr<std::string> ReadWholeFile(const std::string& path);

}  // namespace ipledger

// The `pkcs11` root key provider: the root key is an AES-256 key generated
// inside a PKCS#11 token (an HSM, or SoftHSM2 for tests) and every Wrap and
// Unwrap is an AES-GCM operation the token performs. The key is created
// sensitive and not extractable, so its bytes never exist in this process.
#pragma once

#include <cstddef>
#include <filesystem>
#include <memory>
#include <string>

#include "common/random.h"
#include "common/status_or.h"
#include "rootkey/root_key.h"

namespace coffer::rootkey {

struct Pkcs11Options {
  std::filesystem::path module;  // the vendor's PKCS#11 library (.so)
  std::string token_label;
  // Holds the user PIN (a trailing newline is ignored); mode 0600 or refused.
  // Read once; the PIN stays in wiped-on-destruction memory to log in again
  // after a token outage.
  std::filesystem::path pin_file;
  std::string key_label = "coffer-root-key";
  std::size_t sessions = 1;  // one per io thread: Wrap/Unwrap wait beyond that
};

// Finds the key labelled `key_label` on the token, or generates it there on
// first start. kInternal when the module, token, PIN or key cannot be used,
// when more than one key carries the label, or when the key found could leave
// the token (CKA_EXTRACTABLE true or CKA_SENSITIVE false).
StatusOr<std::unique_ptr<RootKey>> OpenPkcs11RootKey(const Pkcs11Options& options, RandomSource& random);

}  // namespace coffer::rootkey

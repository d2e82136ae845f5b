// The root key wraps every other secret Coffer stores (KMS key material,
// secret access keys). It never leaves this object; callers see only Wrap and
// Unwrap. Providers decide where the 256-bit root key comes from.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "common/bytes.h"
#include "common/random.h"
#include "common/secret_bytes.h"
#include "common/status_or.h"

namespace coffer::rootkey {

class RootKey {
 public:
  // Takes ownership of 32 bytes of key material.
  RootKey(SecretBytes key, RandomSource& random);

  // AES-256-GCM under the root key with `aad` binding the context (key ARN and
  // version, access key id, ...). Output: format byte | iv | ciphertext | tag.
  StatusOr<Bytes> Wrap(ByteView plaintext, std::string_view aad) const;
  // kInternal when the blob is malformed or was wrapped under another root key
  // or another aad: stored data that fails to unwrap is a server-side fault.
  StatusOr<SecretBytes> Unwrap(ByteView wrapped, std::string_view aad) const;

 private:
  SecretBytes key_;
  RandomSource& random_;
};

// `file` provider: a 32-byte file created with mode 0600 on first start.
// Refuses to use a file readable or writable by group or others.
StatusOr<std::unique_ptr<RootKey>> LoadOrCreateFileRootKey(const std::filesystem::path& path,
                                                           RandomSource& random);

// `passphrase` provider: Argon2id over the passphrase and a random salt kept
// beside the store (`salt_path`, created on first start). A check value stored
// next to the salt makes a wrong passphrase fail at start-up, not at first use.
StatusOr<std::unique_ptr<RootKey>> DeriveRootKeyFromPassphrase(std::string_view passphrase,
                                                               const std::filesystem::path& salt_path,
                                                               RandomSource& random);

}  // namespace coffer::rootkey

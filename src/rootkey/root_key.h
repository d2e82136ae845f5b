// The root key wraps every other secret Coffer stores (KMS key material,
// secret access keys). It never leaves this object; callers see only Wrap and
// Unwrap. Providers decide where the 256-bit root key comes from.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "common/bytes.h"
#include "common/random.h"
#include "common/secret_bytes.h"
#include "common/status_or.h"

namespace coffer::rootkey {

// Where the root key lives is the provider's business: in this process
// (SoftwareRootKey, the `file` and `passphrase` providers) or inside a PKCS#11
// token (Pkcs11RootKey). Implementations are safe to call from many threads.
class RootKey {
 public:
  virtual ~RootKey() = default;

  // AES-256-GCM under the root key with `aad` binding the context (key ARN and
  // version, access key id, ...). Output: format byte | iv | ciphertext | tag;
  // the format byte names the provider kind, so a blob handed to the wrong
  // kind of root key is refused before any decryption is tried.
  virtual StatusOr<Bytes> Wrap(ByteView plaintext, std::string_view aad) const = 0;
  // kInternal when the blob is malformed or was wrapped under another root key
  // or another aad: stored data that fails to unwrap is a server-side fault.
  // Also kInternal when the provider cannot reach its key (a token error).
  virtual StatusOr<SecretBytes> Unwrap(ByteView wrapped, std::string_view aad) const = 0;
  // The format byte this key's Wrap writes (kSoftwareWrapFormat, ...).
  virtual std::uint8_t wrap_format() const = 0;
};

// Format bytes of wrapped blobs, one per kind of root key.
inline constexpr std::uint8_t kSoftwareWrapFormat = 1;
inline constexpr std::uint8_t kPkcs11WrapFormat = 2;
// Every wrapped blob is this much longer than what it protects.
inline constexpr std::size_t kWrapOverhead = 1 + 12 + 16;

// The root key held in this process's memory (wiped on destruction).
class SoftwareRootKey final : public RootKey {
 public:
  // Takes ownership of 32 bytes of key material.
  SoftwareRootKey(SecretBytes key, RandomSource& random);

  StatusOr<Bytes> Wrap(ByteView plaintext, std::string_view aad) const override;
  StatusOr<SecretBytes> Unwrap(ByteView wrapped, std::string_view aad) const override;
  std::uint8_t wrap_format() const override { return kSoftwareWrapFormat; }

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

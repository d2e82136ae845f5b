// Who wraps the per-blob data keys of format-3 blob files: a versioned key
// the blob store does not hold (for S3 bodies, the S3 service key,
// s3/service_key.h). The header of each blob records the version its data key
// is wrapped under, so a blob keeps opening after the keyring has moved on to
// a newer version. Version 1 and 2 files wrap their data key under the root
// key itself and need no keyring.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "common/bytes.h"
#include "common/random.h"
#include "common/secret_bytes.h"
#include "common/status_or.h"

namespace coffer::blobs {

// Implementations are safe to call from many threads.
class BlobKeyring {
 public:
  virtual ~BlobKeyring() = default;
  // The version new blobs are wrapped under (it may change between calls).
  virtual StatusOr<std::uint32_t> CurrentVersion() = 0;
  // `data_key` wrapped under `version`, bound to `aad`.
  virtual StatusOr<Bytes> Wrap(std::uint32_t version, ByteView data_key, std::string_view aad) = 0;
  // kNotFound when no such version exists; kInternal when `wrapped` does not
  // open under it with `aad` (tampered, another blob's, another version's);
  // any other code when the versions cannot be read now (kUnavailable).
  virtual StatusOr<SecretBytes> Unwrap(std::uint32_t version, ByteView wrapped, std::string_view aad) = 0;
};

// The key wrapping keyrings use: AES-256-GCM under a 32-byte key-encryption
// key, output nonce (12 random bytes) | ciphertext | tag (16).
inline constexpr std::size_t kKeyWrapOverhead = 12 + 16;
StatusOr<Bytes> SealKey(ByteView kek, ByteView key, std::string_view aad, RandomSource& random);
// kInternal when `wrapped` is malformed or does not authenticate.
StatusOr<SecretBytes> OpenKey(ByteView kek, ByteView wrapped, std::string_view aad);

}  // namespace coffer::blobs

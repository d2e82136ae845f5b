// Thin, hard-to-misuse wrappers over OpenSSL 3 EVP. This directory is the only
// place that includes OpenSSL headers. Every function that can fail says so in
// its return type; output buffers holding secrets are wiped on failure.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string_view>

#include "common/bytes.h"
#include "common/random.h"
#include "common/secret_bytes.h"
#include "common/status_or.h"

namespace coffer::crypto {

inline constexpr std::size_t kGcmIvLen = 12;
inline constexpr std::size_t kGcmTagLen = 16;
inline constexpr std::size_t kSha256Len = 32;

using Sha256Digest = std::array<std::uint8_t, kSha256Len>;

// RandomSource backed by OpenSSL's RAND_bytes (the production source).
class OsRandom final : public RandomSource {
 public:
  Status Fill(std::span<std::uint8_t> out) override;
};

// Convenience: `len` random bytes as a secret.
StatusOr<SecretBytes> RandomSecret(RandomSource& random, std::size_t len);

// AES-GCM with a 16-byte tag. Key length selects AES-128/192/256.
// `iv` may be any non-empty length up to 128 bytes, OpenSSL's limit (12 bytes
// is the only length Coffer writes). Bad arguments (key or iv length, buffer
// sizes) are kInternal: they are programming errors, not client errors.
// Seal: out_ciphertext.size() must equal plaintext.size().
Status AesGcmSeal(ByteView key, ByteView iv, ByteView aad, ByteView plaintext,
                  std::span<std::uint8_t> out_ciphertext, std::span<std::uint8_t, kGcmTagLen> out_tag);
// Open: out_plaintext.size() must equal ciphertext.size(). On a bad tag the
// result is kInvalidCiphertext and out_plaintext is wiped.
Status AesGcmOpen(ByteView key, ByteView iv, ByteView aad, ByteView ciphertext, ByteView tag,
                  std::span<std::uint8_t> out_plaintext);

// HKDF (RFC 5869) with SHA-256; `out_len` <= 255*32.
StatusOr<SecretBytes> HkdfSha256(ByteView ikm, ByteView salt, ByteView info, std::size_t out_len);

Sha256Digest Sha256(ByteView data);
Sha256Digest HmacSha256(ByteView key, ByteView data);

// Incremental SHA-256 for data that arrives in pieces.
class Sha256Hasher {
 public:
  Sha256Hasher();
  ~Sha256Hasher();
  Sha256Hasher(const Sha256Hasher&) = delete;
  Sha256Hasher& operator=(const Sha256Hasher&) = delete;
  void Update(ByteView data);
  // Returns the digest of everything fed so far and starts a new message.
  Sha256Digest Final();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Argon2id (RFC 9106) password hashing, used by the passphrase root-key provider.
struct Argon2Params {
  std::uint32_t t_cost = 3;          // iterations
  std::uint32_t m_cost_kib = 65536;  // memory
  std::uint32_t parallelism = 1;
};
StatusOr<SecretBytes> Argon2id(std::string_view passphrase, ByteView salt, const Argon2Params& params,
                               std::size_t out_len);

}  // namespace coffer::crypto

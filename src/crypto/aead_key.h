// AES-GCM under one key for many messages (the ESDK body: one AEAD call per
// frame). The key schedule is computed once and lives in an EVP context owned
// by this object, freed (and cleansed by OpenSSL) when it is destroyed; each
// call only sets the IV. Not thread-safe: one per stream.
#pragma once

#include <memory>
#include <span>

#include "common/bytes.h"
#include "common/status_or.h"
#include "crypto/crypto.h"

namespace coffer::crypto {

class AesGcmKey {
 public:
  // `key` is 16, 24 or 32 bytes (AES-128/192/256).
  static StatusOr<std::unique_ptr<AesGcmKey>> Create(ByteView key);
  ~AesGcmKey();
  AesGcmKey(const AesGcmKey&) = delete;
  AesGcmKey& operator=(const AesGcmKey&) = delete;

  // As AesGcmSeal / AesGcmOpen (12-byte IV only); on failure the output is wiped.
  Status Seal(ByteView iv, ByteView aad, ByteView plaintext, std::span<std::uint8_t> out_ciphertext,
              std::span<std::uint8_t, kGcmTagLen> out_tag);
  Status Open(ByteView iv, ByteView aad, ByteView ciphertext, ByteView tag,
              std::span<std::uint8_t> out_plaintext);

 private:
  struct Impl;
  explicit AesGcmKey(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace coffer::crypto

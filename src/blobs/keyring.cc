#include "blobs/keyring.h"

#include <span>

#include "crypto/crypto.h"

namespace coffer::blobs {
namespace {

constexpr std::size_t kNonceLen = 12;
constexpr std::size_t kKekLen = 32;

}  // namespace

StatusOr<Bytes> SealKey(ByteView kek, ByteView key, std::string_view aad, RandomSource& random) {
  if (kek.size() != kKekLen) return InternalError("key-encryption key must be 32 bytes");
  Bytes out(kNonceLen + key.size() + crypto::kGcmTagLen);
  const std::span<std::uint8_t> nonce(out.data(), kNonceLen);
  RETURN_IF_ERROR(random.Fill(nonce));
  const std::span<std::uint8_t> ciphertext(out.data() + kNonceLen, key.size());
  const std::span<std::uint8_t, crypto::kGcmTagLen> tag(out.data() + kNonceLen + key.size(),
                                                        crypto::kGcmTagLen);
  RETURN_IF_ERROR(crypto::AesGcmSeal(kek, nonce, AsBytes(aad), key, ciphertext, tag));
  return out;
}

StatusOr<SecretBytes> OpenKey(ByteView kek, ByteView wrapped, std::string_view aad) {
  if (kek.size() != kKekLen) return InternalError("key-encryption key must be 32 bytes");
  if (wrapped.size() < kKeyWrapOverhead) return InternalError("wrapped key is truncated");
  const std::size_t len = wrapped.size() - kKeyWrapOverhead;
  SecretBytes key(len);
  const Status opened =
      crypto::AesGcmOpen(kek, wrapped.first(kNonceLen), AsBytes(aad), wrapped.subspan(kNonceLen, len),
                         wrapped.subspan(kNonceLen + len), key.mutable_view());
  if (!opened.ok()) return InternalError("wrapped key does not authenticate");
  return key;
}

}  // namespace coffer::blobs

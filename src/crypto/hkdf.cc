// HKDF-SHA256 (RFC 5869).
#include <algorithm>
#include <array>

#include "crypto/crypto.h"
#include "crypto/openssl_util.h"

namespace coffer::crypto {
namespace {

constexpr std::size_t kMaxHkdfOutLen = 255 * kSha256Len;
constexpr std::size_t kSmallBlock = 256;

}  // namespace

// RFC 5869 over HMAC-SHA256 (low-level SHA-256 in hash.cc): on the Encrypt
// hot path this is about three times faster than an EVP_KDF context, which
// OpenSSL 3.0 cannot duplicate and re-creates, with its digest, per call.
StatusOr<SecretBytes> HkdfSha256(ByteView ikm, ByteView salt, ByteView info, std::size_t out_len) {
  if (out_len == 0 || out_len > kMaxHkdfOutLen) {
    return InternalError("HKDF-SHA256 output length must be between 1 and 8160 bytes");
  }
  // Extract. An empty salt means HashLen zero bytes.
  const Sha256Digest zero_salt{};
  Sha256Digest prk = HmacSha256(salt.empty() ? ByteView(zero_salt) : salt, ikm);
  // Expand: T(i) = HMAC(PRK, T(i-1) | info | i).
  SecretBytes out(out_len);
  // T(i-1) | info | i, on the stack when it fits (the KMS hot path's does).
  const std::size_t block_len = kSha256Len + info.size() + 1;
  std::array<std::uint8_t, kSmallBlock> small{};
  SecretBytes large(block_len > small.size() ? block_len : 0);
  std::uint8_t* block = block_len > small.size() ? large.data() : small.data();
  std::size_t prev_len = 0;
  for (std::size_t done = 0, i = 1; done < out_len; ++i) {
    std::copy(info.begin(), info.end(), block + prev_len);
    block[prev_len + info.size()] = static_cast<std::uint8_t>(i);
    const Sha256Digest t = HmacSha256(prk, ByteView(block, prev_len + info.size() + 1));
    const std::size_t n = std::min(kSha256Len, out_len - done);
    std::copy(t.begin(), t.begin() + static_cast<std::ptrdiff_t>(n), out.data() + done);
    std::copy(t.begin(), t.end(), block);
    prev_len = kSha256Len;
    done += n;
  }
  SecureWipe(small.data(), small.size());
  SecureWipe(prk.data(), prk.size());
  return out;
}

}  // namespace coffer::crypto

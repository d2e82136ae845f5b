// One-shot digests, HMAC over SHA-224..512, and AES key wrap with padding.
#define OPENSSL_SUPPRESS_DEPRECATED  // SHA*_Init/Update/Final (OpenSSL 3 keeps them; see hash.cc)
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/sha.h>

#include <algorithm>
#include <array>

#include "crypto/asymmetric.h"
#include "crypto/crypto.h"
#include "crypto/openssl_util.h"

namespace coffer::crypto {

namespace {

// One low-level hash over `data` into `out` (Init/Update/Final on a stack state).
template <typename Ctx, typename Init, typename Update, typename Final>
void LowLevelDigest(ByteView data, std::uint8_t* out, Init init, Update update, Final final) {
  Ctx ctx;
  init(&ctx);
  update(&ctx, data.data(), data.size());
  final(out, &ctx);
}

}  // namespace

// OpenSSL's low-level block code (what EVP dispatches to, SHA-NI where the
// CPU has it) on a stack state: no EVP context allocation and provider fetch
// per call, which the one-shot SHA256() of OpenSSL 3 also does. Every Sign
// and Verify of a message digests it here.
Bytes Digest(HashAlg hash, ByteView data) {
  Bytes out(HashLen(hash));
  switch (hash) {
    case HashAlg::kSha1:
      LowLevelDigest<SHA_CTX>(data, out.data(), SHA1_Init, SHA1_Update, SHA1_Final);
      break;
    case HashAlg::kSha256: {
      const Sha256Digest digest = Sha256(data);  // hash.cc: the same low-level code
      std::copy(digest.begin(), digest.end(), out.begin());
      break;
    }
    case HashAlg::kSha384:
      LowLevelDigest<SHA512_CTX>(data, out.data(), SHA384_Init, SHA384_Update, SHA384_Final);
      break;
    case HashAlg::kSha512:
      LowLevelDigest<SHA512_CTX>(data, out.data(), SHA512_Init, SHA512_Update, SHA512_Final);
      break;
  }
  return out;
}

std::size_t MacLen(MacAlg alg) {
  static constexpr std::array<std::size_t, 4> kLens = {28, 32, 48, 64};
  return kLens[static_cast<std::size_t>(alg)];
}

StatusOr<Bytes> Hmac(MacAlg alg, ByteView key, ByteView message) {
  static constexpr std::array<const char*, 4> kNames = {"SHA224", "SHA256", "SHA384", "SHA512"};
  Bytes out(MacLen(alg));
  std::size_t len = 0;
  if (EVP_Q_mac(nullptr, "HMAC", nullptr, kNames[static_cast<std::size_t>(alg)], nullptr,
                internal::NonNullData(key), key.size(), internal::NonNullData(message), message.size(),
                out.data(), out.size(), &len) == nullptr ||
      len != out.size()) {
    return internal::OpenSslError("HMAC");
  }
  return out;
}

bool SecretsEqual(ByteView a, ByteView b) {
  return a.size() == b.size() &&
         CRYPTO_memcmp(internal::NonNullData(a), internal::NonNullData(b), a.size()) == 0;
}

namespace {

const EVP_CIPHER* WrapCipher(std::size_t kek_len) {
  switch (kek_len) {
    case 16:
      return EVP_aes_128_wrap_pad();
    case 24:
      return EVP_aes_192_wrap_pad();
    case 32:
      return EVP_aes_256_wrap_pad();
    default:
      return nullptr;
  }
}

// Runs one wrap (encrypt=1) or unwrap (encrypt=0); false when OpenSSL refuses.
bool RunWrap(ByteView kek, ByteView in, int encrypt, std::uint8_t* out, std::size_t* out_len) {
  const EVP_CIPHER* cipher = WrapCipher(kek.size());
  internal::EvpCipherCtxPtr ctx(EVP_CIPHER_CTX_new());
  if (cipher == nullptr || ctx == nullptr) return false;
  EVP_CIPHER_CTX_set_flags(ctx.get(), EVP_CIPHER_CTX_FLAG_WRAP_ALLOW);
  int len = 0;
  int final_len = 0;
  if (EVP_CipherInit_ex(ctx.get(), cipher, nullptr, kek.data(), nullptr, encrypt) != 1 ||
      EVP_CipherUpdate(ctx.get(), out, &len, in.data(), static_cast<int>(in.size())) != 1 ||
      EVP_CipherFinal_ex(ctx.get(), out + len, &final_len) != 1) {
    return false;
  }
  *out_len = static_cast<std::size_t>(len + final_len);
  return true;
}

}  // namespace

StatusOr<Bytes> AesKeyWrapPad(ByteView kek, ByteView plaintext) {
  if (plaintext.empty()) return InternalError("nothing to wrap");
  Bytes out((plaintext.size() + 7) / 8 * 8 + 16);
  std::size_t len = 0;
  if (!RunWrap(kek, plaintext, 1, out.data(), &len)) return internal::OpenSslError("AES key wrap");
  out.resize(len);
  return out;
}

StatusOr<SecretBytes> AesKeyUnwrapPad(ByteView kek, ByteView wrapped) {
  if (wrapped.size() < 16 || wrapped.size() % 8 != 0 || WrapCipher(kek.size()) == nullptr) {
    return Status(ErrorCode::kInvalidCiphertext, "wrapped key has an invalid length");
  }
  SecretBytes out(wrapped.size() + 8);
  std::size_t len = 0;
  if (!RunWrap(kek, wrapped, 0, out.data(), &len)) {
    out.Wipe();
    internal::ClearOpenSslErrors();
    return Status(ErrorCode::kInvalidCiphertext, "AES key unwrap failed its integrity check");
  }
  out.resize(len);
  return out;
}

}  // namespace coffer::crypto

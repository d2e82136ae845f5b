#include "crypto/aead_key.h"

#include <openssl/evp.h>

#include <array>
#include <climits>

#include "crypto/openssl_util.h"

namespace coffer::crypto {
namespace {

const EVP_CIPHER* Cipher(std::size_t key_len) {
  static EVP_CIPHER* const kCiphers[3] = {EVP_CIPHER_fetch(nullptr, "AES-128-GCM", nullptr),
                                          EVP_CIPHER_fetch(nullptr, "AES-192-GCM", nullptr),
                                          EVP_CIPHER_fetch(nullptr, "AES-256-GCM", nullptr)};
  const int index = key_len == 16 ? 0 : key_len == 24 ? 1 : key_len == 32 ? 2 : -1;
  if (index < 0) return nullptr;
  if (kCiphers[index] == nullptr) internal::Fatal("AES-GCM cipher fetch");
  return kCiphers[index];
}

bool Update(EVP_CIPHER_CTX* ctx, ByteView in, std::uint8_t* out) {
  if (in.size() > INT_MAX) return false;
  int out_len = 0;
  return in.empty() || EVP_CipherUpdate(ctx, out, &out_len, in.data(), static_cast<int>(in.size())) == 1;
}

}  // namespace

struct AesGcmKey::Impl {
  internal::EvpCipherCtxPtr encrypt;
  internal::EvpCipherCtxPtr decrypt;
};

AesGcmKey::AesGcmKey(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
AesGcmKey::~AesGcmKey() = default;

StatusOr<std::unique_ptr<AesGcmKey>> AesGcmKey::Create(ByteView key) {
  const EVP_CIPHER* cipher = Cipher(key.size());
  if (cipher == nullptr) return InternalError("AES-GCM key must be 16, 24 or 32 bytes");
  auto impl = std::make_unique<Impl>();
  impl->encrypt.reset(EVP_CIPHER_CTX_new());
  impl->decrypt.reset(EVP_CIPHER_CTX_new());
  if (!impl->encrypt || !impl->decrypt ||
      EVP_CipherInit_ex2(impl->encrypt.get(), cipher, key.data(), nullptr, 1, nullptr) != 1 ||
      EVP_CipherInit_ex2(impl->decrypt.get(), cipher, key.data(), nullptr, 0, nullptr) != 1) {
    return internal::OpenSslError("AES-GCM key init");
  }
  return std::unique_ptr<AesGcmKey>(new AesGcmKey(std::move(impl)));
}

Status AesGcmKey::Seal(ByteView iv, ByteView aad, ByteView plaintext, std::span<std::uint8_t> out_ciphertext,
                       std::span<std::uint8_t, kGcmTagLen> out_tag) {
  if (iv.size() != kGcmIvLen || out_ciphertext.size() != plaintext.size()) {
    return InternalError("AES-GCM seal: bad IV or buffer length");
  }
  EVP_CIPHER_CTX* ctx = impl_->encrypt.get();
  int final_len = 0;
  std::array<std::uint8_t, 16> final_block{};
  if (EVP_CipherInit_ex2(ctx, nullptr, nullptr, iv.data(), 1, nullptr) != 1 || !Update(ctx, aad, nullptr) ||
      !Update(ctx, plaintext, out_ciphertext.data()) ||
      EVP_EncryptFinal_ex(ctx, final_block.data(), &final_len) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, static_cast<int>(kGcmTagLen), out_tag.data()) != 1) {
    SecureWipe(out_ciphertext.data(), out_ciphertext.size());
    return internal::OpenSslError("AES-GCM seal");
  }
  return Status::Ok();
}

Status AesGcmKey::Open(ByteView iv, ByteView aad, ByteView ciphertext, ByteView tag,
                       std::span<std::uint8_t> out_plaintext) {
  if (iv.size() != kGcmIvLen || tag.size() != kGcmTagLen || out_plaintext.size() != ciphertext.size()) {
    return InternalError("AES-GCM open: bad IV, tag or buffer length");
  }
  EVP_CIPHER_CTX* ctx = impl_->decrypt.get();
  std::array<std::uint8_t, kGcmTagLen> expected{};
  std::copy(tag.begin(), tag.end(), expected.begin());
  int final_len = 0;
  std::array<std::uint8_t, 16> final_block{};
  if (EVP_CipherInit_ex2(ctx, nullptr, nullptr, iv.data(), 0, nullptr) != 1 || !Update(ctx, aad, nullptr) ||
      !Update(ctx, ciphertext, out_plaintext.data()) ||
      EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, static_cast<int>(kGcmTagLen), expected.data()) != 1) {
    SecureWipe(out_plaintext.data(), out_plaintext.size());
    return internal::OpenSslError("AES-GCM open");
  }
  if (EVP_DecryptFinal_ex(ctx, final_block.data(), &final_len) != 1) {
    internal::ClearOpenSslErrors();
    SecureWipe(out_plaintext.data(), out_plaintext.size());
    return {ErrorCode::kInvalidCiphertext, "ciphertext failed authentication"};
  }
  return Status::Ok();
}

}  // namespace coffer::crypto

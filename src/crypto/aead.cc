// AES-GCM through EVP. The cipher is fetched once per process. A call with the
// usual 96-bit IV borrows its thread's context for the key size instead of
// allocating one (two allocations and a wipe of ~700 bytes per call); when
// the call ends the context is re-keyed with zeros, which also clears its
// GHASH state, so no key schedule or state of a real key outlives the call.
// A call that fails gives its context up rather than returning it.
#include <openssl/core_names.h>
#include <openssl/evp.h>

#include <algorithm>
#include <array>

#include "crypto/crypto.h"
#include "crypto/openssl_util.h"

namespace coffer::crypto {
namespace {

using internal::EvpCipherCtxPtr;

// OpenSSL's GCM provider keeps the IV in a fixed 128-byte buffer.
constexpr std::size_t kMaxGcmIvLen = 128;
// EVP takes int lengths; larger inputs go through in slices of this size.
constexpr std::size_t kMaxUpdateLen = std::size_t{1} << 30;

const EVP_CIPHER* FetchCipher(const char* name) {
  EVP_CIPHER* cipher = EVP_CIPHER_fetch(nullptr, name, nullptr);
  if (cipher == nullptr) {
    internal::Fatal(name);
  }
  return cipher;
}

// nullptr when the key length selects no AES variant.
const EVP_CIPHER* GcmCipherForKeyLen(std::size_t key_len) {
  static const std::array<const EVP_CIPHER*, 3> ciphers = {
      FetchCipher("AES-128-GCM"), FetchCipher("AES-192-GCM"), FetchCipher("AES-256-GCM")};
  switch (key_len) {
    case 16:
      return ciphers[0];
    case 24:
      return ciphers[1];
    case 32:
      return ciphers[2];
    default:
      return nullptr;
  }
}

// A context keyed for one operation, or kInternal naming the bad argument.
StatusOr<EvpCipherCtxPtr> NewGcmContext(ByteView key, ByteView iv, bool encrypt) {
  const EVP_CIPHER* cipher = GcmCipherForKeyLen(key.size());
  if (cipher == nullptr) {
    return InternalError("AES-GCM key must be 16, 24 or 32 bytes");
  }
  if (iv.empty()) {
    return InternalError("AES-GCM iv must not be empty");
  }
  if (iv.size() > kMaxGcmIvLen) {
    return InternalError("AES-GCM iv longer than 128 bytes is not supported");
  }

  EvpCipherCtxPtr ctx(EVP_CIPHER_CTX_new());
  if (ctx == nullptr) {
    return internal::OpenSslError("EVP_CIPHER_CTX_new");
  }
  std::size_t iv_len = iv.size();
  const OSSL_PARAM params[] = {OSSL_PARAM_construct_size_t(OSSL_CIPHER_PARAM_AEAD_IVLEN, &iv_len),
                               OSSL_PARAM_construct_end()};
  // The IV length must be in place before the IV itself, hence two steps.
  if (EVP_CipherInit_ex2(ctx.get(), cipher, nullptr, nullptr, encrypt ? 1 : 0, params) != 1 ||
      EVP_CipherInit_ex2(ctx.get(), nullptr, key.data(), iv.data(), -1, nullptr) != 1) {
    return internal::OpenSslError("AES-GCM init");
  }
  return ctx;
}

constexpr std::size_t kDefaultGcmIvLen = 12;

// The thread's reusable context for one key size, or nullptr.
EvpCipherCtxPtr& ThreadContextSlot(std::size_t key_len) {
  thread_local std::array<EvpCipherCtxPtr, 3> slots;
  return slots[key_len == 16 ? 0 : key_len == 24 ? 1 : 2];
}

// A keyed context for one operation: the thread's own when the IV has the
// default length (given back, re-keyed with zeros, after a successful call),
// otherwise a fresh one.
class GcmLease {
 public:
  static StatusOr<GcmLease> Take(ByteView key, ByteView iv, bool encrypt) {
    if (iv.size() != kDefaultGcmIvLen || GcmCipherForKeyLen(key.size()) == nullptr) {
      ASSIGN_OR_RETURN(EvpCipherCtxPtr fresh, NewGcmContext(key, iv, encrypt));
      return GcmLease(std::move(fresh), nullptr);
    }
    EvpCipherCtxPtr& slot = ThreadContextSlot(key.size());
    EvpCipherCtxPtr ctx = std::move(slot);
    if (ctx != nullptr &&
        EVP_CipherInit_ex2(ctx.get(), nullptr, key.data(), iv.data(), encrypt ? 1 : 0, nullptr) == 1) {
      return GcmLease(std::move(ctx), &slot);
    }
    internal::ClearOpenSslErrors();
    ASSIGN_OR_RETURN(ctx, NewGcmContext(key, iv, encrypt));
    return GcmLease(std::move(ctx), &slot);
  }

  GcmLease(GcmLease&&) = default;
  GcmLease& operator=(GcmLease&&) = delete;
  ~GcmLease() {
    if (home_ == nullptr || ctx_ == nullptr || !succeeded_) return;  // freed (and wiped) by its deleter
    static constexpr std::array<std::uint8_t, 32> kZeroKey{};
    if (EVP_CipherInit_ex2(ctx_.get(), nullptr, kZeroKey.data(), nullptr, -1, nullptr) == 1) {
      *home_ = std::move(ctx_);
    } else {
      internal::ClearOpenSslErrors();
    }
  }

  EVP_CIPHER_CTX* get() const { return ctx_.get(); }
  void Succeeded() { succeeded_ = true; }

 private:
  GcmLease(EvpCipherCtxPtr ctx, EvpCipherCtxPtr* home) : ctx_(std::move(ctx)), home_(home) {}

  EvpCipherCtxPtr ctx_;
  EvpCipherCtxPtr* home_;
  bool succeeded_ = false;
};

// Feeds `in` through the context; `out` is null for additional data.
bool CipherUpdate(EVP_CIPHER_CTX* ctx, ByteView in, std::uint8_t* out) {
  for (std::size_t done = 0; done < in.size();) {
    const std::size_t n = std::min(kMaxUpdateLen, in.size() - done);
    int out_len = 0;
    if (EVP_CipherUpdate(ctx, out == nullptr ? nullptr : out + done, &out_len, in.data() + done,
                         static_cast<int>(n)) != 1) {
      return false;
    }
    done += n;
  }
  return true;
}

Status SealInternal(ByteView key, ByteView iv, ByteView aad, ByteView plaintext,
                    std::span<std::uint8_t> out_ciphertext, std::span<std::uint8_t, kGcmTagLen> out_tag) {
  if (out_ciphertext.size() != plaintext.size()) {
    return InternalError("AES-GCM seal: ciphertext buffer size differs from plaintext size");
  }
  ASSIGN_OR_RETURN(GcmLease ctx, GcmLease::Take(key, iv, /*encrypt=*/true));
  int final_len = 0;
  std::array<std::uint8_t, 16> final_block{};
  if (!CipherUpdate(ctx.get(), aad, nullptr) || !CipherUpdate(ctx.get(), plaintext, out_ciphertext.data()) ||
      EVP_EncryptFinal_ex(ctx.get(), final_block.data(), &final_len) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_AEAD_GET_TAG, static_cast<int>(kGcmTagLen), out_tag.data()) !=
          1) {
    return internal::OpenSslError("AES-GCM seal");
  }
  ctx.Succeeded();
  return Status::Ok();
}

Status OpenInternal(ByteView key, ByteView iv, ByteView aad, ByteView ciphertext, ByteView tag,
                    std::span<std::uint8_t> out_plaintext) {
  if (tag.size() != kGcmTagLen) {
    return InternalError("AES-GCM open: tag must be 16 bytes");
  }
  if (out_plaintext.size() != ciphertext.size()) {
    return InternalError("AES-GCM open: plaintext buffer size differs from ciphertext size");
  }
  ASSIGN_OR_RETURN(GcmLease ctx, GcmLease::Take(key, iv, /*encrypt=*/false));
  std::array<std::uint8_t, kGcmTagLen> expected_tag{};
  std::copy(tag.begin(), tag.end(), expected_tag.begin());
  if (!CipherUpdate(ctx.get(), aad, nullptr) || !CipherUpdate(ctx.get(), ciphertext, out_plaintext.data()) ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_AEAD_SET_TAG, static_cast<int>(kGcmTagLen),
                          expected_tag.data()) != 1) {
    return internal::OpenSslError("AES-GCM open");
  }
  int final_len = 0;
  std::array<std::uint8_t, 16> final_block{};
  if (EVP_DecryptFinal_ex(ctx.get(), final_block.data(), &final_len) != 1) {
    internal::ClearOpenSslErrors();
    // Client-safe: says nothing about which check failed.
    return {ErrorCode::kInvalidCiphertext, "ciphertext failed authentication"};
  }
  ctx.Succeeded();
  return Status::Ok();
}

}  // namespace

Status AesGcmSeal(ByteView key, ByteView iv, ByteView aad, ByteView plaintext,
                  std::span<std::uint8_t> out_ciphertext, std::span<std::uint8_t, kGcmTagLen> out_tag) {
  Status status = SealInternal(key, iv, aad, plaintext, out_ciphertext, out_tag);
  if (!status.ok()) {
    SecureWipe(out_ciphertext.data(), out_ciphertext.size());
    SecureWipe(out_tag.data(), out_tag.size());
  }
  return status;
}

Status AesGcmOpen(ByteView key, ByteView iv, ByteView aad, ByteView ciphertext, ByteView tag,
                  std::span<std::uint8_t> out_plaintext) {
  Status status = OpenInternal(key, iv, aad, ciphertext, tag, out_plaintext);
  if (!status.ok()) {
    SecureWipe(out_plaintext.data(), out_plaintext.size());
  }
  return status;
}

}  // namespace coffer::crypto

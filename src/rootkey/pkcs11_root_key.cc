#include "rootkey/pkcs11_root_key.h"

#include <array>
#include <atomic>
#include <utility>
#include <vector>

#include "pkcs11/library.h"
#include "pkcs11/session_pool.h"
#include "rootkey/private_file.h"

namespace coffer::rootkey {
namespace {

constexpr std::size_t kIvLen = 12;
constexpr std::size_t kTagLen = 16;
constexpr CK_ULONG kKeyLen = 32;
static_assert(kWrapOverhead == 1 + kIvLen + kTagLen);

CK_BBOOL g_true = CK_TRUE;
CK_BBOOL g_false = CK_FALSE;

CK_ATTRIBUTE Attr(CK_ATTRIBUTE_TYPE type, void* value, CK_ULONG len) {
  return CK_ATTRIBUTE{type, value, len};
}

StatusOr<SecretBytes> ReadPin(const std::filesystem::path& path) {
  ASSIGN_OR_RETURN(SecretBytes pin, ReadPrivateFile(path, "PKCS#11 PIN file"));
  std::size_t len = pin.size();
  while (len > 0 && (pin.data()[len - 1] == '\n' || pin.data()[len - 1] == '\r')) --len;
  if (len == 0) return InternalError("PKCS#11 PIN file " + path.string() + " is empty");
  pin.resize(len);
  return pin;
}

StatusOr<std::vector<CK_OBJECT_HANDLE>> FindKeys(CK_FUNCTION_LIST& fn, CK_SESSION_HANDLE session,
                                                 std::string label) {
  CK_OBJECT_CLASS key_class = CKO_SECRET_KEY;
  std::array query = {Attr(CKA_CLASS, &key_class, sizeof(key_class)),
                      Attr(CKA_LABEL, label.data(), label.size())};
  CK_RV rv = fn.C_FindObjectsInit(session, query.data(), query.size());
  if (rv != CKR_OK) return pkcs11::RvError("C_FindObjectsInit", rv);
  std::array<CK_OBJECT_HANDLE, 2> found{};
  CK_ULONG count = 0;
  rv = fn.C_FindObjects(session, found.data(), found.size(), &count);
  fn.C_FindObjectsFinal(session);
  if (rv != CKR_OK) return pkcs11::RvError("C_FindObjects", rv);
  return std::vector<CK_OBJECT_HANDLE>(found.begin(), found.begin() + static_cast<std::ptrdiff_t>(count));
}

// The key must be an AES-256 key whose value cannot leave the token.
Status CheckStaysInside(CK_FUNCTION_LIST& fn, CK_SESSION_HANDLE session, CK_OBJECT_HANDLE key,
                        const std::string& label) {
  CK_KEY_TYPE type = 0;
  CK_ULONG len = 0;
  CK_BBOOL sensitive = CK_FALSE;
  CK_BBOOL extractable = CK_TRUE;
  std::array attrs = {Attr(CKA_KEY_TYPE, &type, sizeof(type)), Attr(CKA_VALUE_LEN, &len, sizeof(len)),
                      Attr(CKA_SENSITIVE, &sensitive, sizeof(sensitive)),
                      Attr(CKA_EXTRACTABLE, &extractable, sizeof(extractable))};
  const CK_RV rv = fn.C_GetAttributeValue(session, key, attrs.data(), attrs.size());
  if (rv != CKR_OK) return pkcs11::RvError("C_GetAttributeValue", rv);
  if (type != CKK_AES || len != kKeyLen) {
    return InternalError("PKCS#11 key '" + label + "' is not an AES-256 key");
  }
  if (sensitive != CK_TRUE || extractable != CK_FALSE) {
    return InternalError("PKCS#11 key '" + label +
                         "' could leave the token (CKA_SENSITIVE must be true, CKA_EXTRACTABLE false); "
                         "refusing it as the root key");
  }
  return Status::Ok();
}

StatusOr<CK_OBJECT_HANDLE> GenerateKey(CK_FUNCTION_LIST& fn, CK_SESSION_HANDLE session, std::string label) {
  CK_OBJECT_CLASS key_class = CKO_SECRET_KEY;
  CK_KEY_TYPE key_type = CKK_AES;
  CK_ULONG len = kKeyLen;
  std::array attrs = {
      Attr(CKA_CLASS, &key_class, sizeof(key_class)), Attr(CKA_KEY_TYPE, &key_type, sizeof(key_type)),
      Attr(CKA_VALUE_LEN, &len, sizeof(len)),         Attr(CKA_LABEL, label.data(), label.size()),
      Attr(CKA_TOKEN, &g_true, sizeof(CK_BBOOL)),     Attr(CKA_PRIVATE, &g_true, sizeof(CK_BBOOL)),
      Attr(CKA_SENSITIVE, &g_true, sizeof(CK_BBOOL)), Attr(CKA_EXTRACTABLE, &g_false, sizeof(CK_BBOOL)),
      Attr(CKA_ENCRYPT, &g_true, sizeof(CK_BBOOL)),   Attr(CKA_DECRYPT, &g_true, sizeof(CK_BBOOL)),
      Attr(CKA_WRAP, &g_false, sizeof(CK_BBOOL)),     Attr(CKA_UNWRAP, &g_false, sizeof(CK_BBOOL)),
      Attr(CKA_SIGN, &g_false, sizeof(CK_BBOOL)),     Attr(CKA_VERIFY, &g_false, sizeof(CK_BBOOL)),
      Attr(CKA_DERIVE, &g_false, sizeof(CK_BBOOL)),   Attr(CKA_MODIFIABLE, &g_false, sizeof(CK_BBOOL)),
  };
  CK_MECHANISM mech{CKM_AES_KEY_GEN, nullptr, 0};
  CK_OBJECT_HANDLE key = CK_INVALID_HANDLE;
  const CK_RV rv = fn.C_GenerateKey(session, &mech, attrs.data(), attrs.size(), &key);
  if (rv != CKR_OK) return pkcs11::RvError("C_GenerateKey", rv);
  return key;
}

// The pool's FindObject: the one key with the label, generated while
// `may_create` (only during start-up, so a key deleted from a running token is
// reported, not silently replaced by one that unwraps nothing).
pkcs11::FindObject RootKeyFinder(std::string label, std::shared_ptr<std::atomic<bool>> may_create) {
  return [label = std::move(label), may_create = std::move(may_create)](
             CK_FUNCTION_LIST& fn, CK_SESSION_HANDLE session) -> StatusOr<CK_OBJECT_HANDLE> {
    ASSIGN_OR_RETURN(std::vector<CK_OBJECT_HANDLE> keys, FindKeys(fn, session, label));
    if (keys.size() > 1) return InternalError("more than one PKCS#11 key labelled '" + label + "'");
    if (keys.empty() && !may_create->load()) {
      return InternalError("the PKCS#11 root key '" + label + "' is gone from the token");
    }
    if (keys.empty()) return GenerateKey(fn, session, label);
    RETURN_IF_ERROR(CheckStaysInside(fn, session, keys.front(), label));
    return keys.front();
  };
}

class Pkcs11RootKey final : public RootKey {
 public:
  Pkcs11RootKey(std::unique_ptr<pkcs11::SessionPool> pool, RandomSource& random)
      : pool_(std::move(pool)), random_(random) {}

  StatusOr<Bytes> Wrap(ByteView plaintext, std::string_view aad) const override;
  StatusOr<SecretBytes> Unwrap(ByteView wrapped, std::string_view aad) const override;
  std::uint8_t wrap_format() const override { return kPkcs11WrapFormat; }

 private:
  std::unique_ptr<pkcs11::SessionPool> pool_;
  RandomSource& random_;
};

CK_GCM_PARAMS GcmParams(const std::uint8_t* iv, std::string_view aad) {
  CK_GCM_PARAMS params{};
  params.pIv = const_cast<std::uint8_t*>(iv);
  params.ulIvLen = kIvLen;
  params.ulIvBits = kIvLen * 8;
  params.pAAD = reinterpret_cast<std::uint8_t*>(const_cast<char*>(aad.data()));
  params.ulAADLen = aad.size();
  params.ulTagBits = kTagLen * 8;
  return params;
}

StatusOr<Bytes> Pkcs11RootKey::Wrap(ByteView plaintext, std::string_view aad) const {
  Bytes out(kWrapOverhead + plaintext.size());
  out[0] = kPkcs11WrapFormat;
  RETURN_IF_ERROR(random_.Fill(std::span<std::uint8_t>(out.data() + 1, kIvLen)));
  ASSIGN_OR_RETURN(pkcs11::Lease lease, pool_->Acquire());
  CK_GCM_PARAMS params = GcmParams(out.data() + 1, aad);
  CK_MECHANISM mech{CKM_AES_GCM, &params, sizeof(params)};
  CK_RV rv = lease.fn().C_EncryptInit(lease.session(), &mech, lease.object());
  if (rv != CKR_OK) return lease.Fail("C_EncryptInit", rv);
  CK_ULONG out_len = plaintext.size() + kTagLen;
  // Modules refuse a null input pointer even for zero bytes.
  std::uint8_t none = 0;
  std::uint8_t* in = plaintext.empty() ? &none : const_cast<std::uint8_t*>(plaintext.data());
  rv = lease.fn().C_Encrypt(lease.session(), in, plaintext.size(), out.data() + 1 + kIvLen, &out_len);
  if (rv != CKR_OK) return lease.Fail("C_Encrypt", rv);
  if (out_len != plaintext.size() + kTagLen)
    return InternalError("PKCS#11 C_Encrypt returned a short AES-GCM output");
  return out;
}

StatusOr<SecretBytes> Pkcs11RootKey::Unwrap(ByteView wrapped, std::string_view aad) const {
  if (wrapped.size() < kWrapOverhead || wrapped[0] != kPkcs11WrapFormat) {
    return InternalError("stored wrapped secret is malformed");
  }
  const std::size_t sealed_len = wrapped.size() - 1 - kIvLen;  // ciphertext | tag
  ASSIGN_OR_RETURN(pkcs11::Lease lease, pool_->Acquire());
  CK_GCM_PARAMS params = GcmParams(wrapped.data() + 1, aad);
  CK_MECHANISM mech{CKM_AES_GCM, &params, sizeof(params)};
  CK_RV rv = lease.fn().C_DecryptInit(lease.session(), &mech, lease.object());
  if (rv != CKR_OK) return lease.Fail("C_DecryptInit", rv);
  SecretBytes out(sealed_len);  // the module may want room for the tag too
  CK_ULONG out_len = out.size();
  rv = lease.fn().C_Decrypt(lease.session(), const_cast<std::uint8_t*>(wrapped.data() + 1 + kIvLen),
                            sealed_len, out.data(), &out_len);
  // A failed C_Decrypt ends the operation; the session itself is fine.
  if (rv == CKR_ENCRYPTED_DATA_INVALID || rv == CKR_ENCRYPTED_DATA_LEN_RANGE) {
    return InternalError("stored secret does not unwrap under this root key");
  }
  if (rv != CKR_OK) return lease.Fail("C_Decrypt", rv);
  if (out_len != sealed_len - kTagLen) return InternalError("PKCS#11 C_Decrypt returned a wrong length");
  out.resize(out_len);
  return out;
}

}  // namespace

StatusOr<std::unique_ptr<RootKey>> OpenPkcs11RootKey(const Pkcs11Options& options, RandomSource& random) {
  if (options.module.empty()) return InternalError("the pkcs11 root key provider needs --pkcs11-module");
  if (options.token_label.empty())
    return InternalError("the pkcs11 root key provider needs --pkcs11-token-label");
  if (options.pin_file.empty()) return InternalError("the pkcs11 root key provider needs --pkcs11-pin-file");
  if (options.key_label.empty()) return InternalError("--pkcs11-key-label must not be empty");
  ASSIGN_OR_RETURN(SecretBytes pin, ReadPin(options.pin_file));
  ASSIGN_OR_RETURN(std::shared_ptr<pkcs11::Library> library, pkcs11::Library::Open(options.module));
  auto may_create = std::make_shared<std::atomic<bool>>(true);
  pkcs11::SessionPool::Options pool;
  pool.library = std::move(library);
  pool.token_label = options.token_label;
  pool.pin = std::move(pin);
  pool.size = options.sessions;
  pool.find_object = RootKeyFinder(options.key_label, may_create);
  ASSIGN_OR_RETURN(std::unique_ptr<pkcs11::SessionPool> sessions,
                   pkcs11::SessionPool::Create(std::move(pool)));
  may_create->store(false);
  return std::unique_ptr<RootKey>(std::make_unique<Pkcs11RootKey>(std::move(sessions), random));
}

}  // namespace coffer::rootkey

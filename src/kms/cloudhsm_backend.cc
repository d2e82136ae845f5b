#include "kms/cloudhsm_backend.h"

#include <array>
#include <map>
#include <mutex>
#include <optional>
#include <utility>

#include "common/encoding.h"
#include "kms/key_store.h"
#include "pkcs11/library.h"
#include "pkcs11/session_pool.h"

namespace coffer::kms {
namespace {

constexpr std::size_t kIvLen = 12;
constexpr std::size_t kTagLen = 16;
constexpr CK_ULONG kKeyLen = 32;

CK_BBOOL g_true = CK_TRUE;
CK_BBOOL g_false = CK_FALSE;

CK_ATTRIBUTE Attr(CK_ATTRIBUTE_TYPE type, void* value, CK_ULONG len) {
  return CK_ATTRIBUTE{type, value, len};
}

// AWS's ConnectionErrorCode for a refused C_Login.
std::string LoginFailureCode(CK_RV rv) {
  switch (rv) {
    case CKR_PIN_INCORRECT:
    case CKR_PIN_INVALID:
    case CKR_PIN_LEN_RANGE:
      return "INVALID_CREDENTIALS";
    case CKR_PIN_LOCKED:
      return "USER_LOCKED_OUT";
    case CKR_USER_PIN_NOT_INITIALIZED:
      return "USER_NOT_FOUND";
    case CKR_DEVICE_ERROR:
    case CKR_DEVICE_REMOVED:
    case CKR_TOKEN_NOT_PRESENT:
      return "NETWORK_ERRORS";
    default:
      return "INTERNAL_ERROR";
  }
}

CK_GCM_PARAMS GcmParams(const std::uint8_t* iv, ByteView aad) {
  CK_GCM_PARAMS params{};
  params.pIv = const_cast<std::uint8_t*>(iv);
  params.ulIvLen = kIvLen;
  params.ulIvBits = kIvLen * 8;
  params.pAAD = const_cast<std::uint8_t*>(aad.data());
  params.ulAADLen = aad.size();
  params.ulTagBits = kTagLen * 8;
  return params;
}

Status InvalidCiphertext() {
  return {ErrorCode::kInvalidCiphertext, "The ciphertext is invalid or was not produced by this service"};
}

class CloudHsmBackend final : public KeyStoreBackend {
 public:
  CloudHsmBackend(CloudHsmCluster cluster, SecretBytes pin, RandomSource& random, std::size_t sessions)
      : cluster_(std::move(cluster)), pin_(std::move(pin)), random_(random), sessions_(sessions) {}

  std::optional<ConnectionFailure> Connect() override;
  // Sessions close when the last call holding this backend returns (the pool
  // goes with the backend), so a call in flight is never cut off.
  void Disconnect() override {}
  Status CreateKeyMaterial(KeyRecord& draft, const nlohmann::json& request,
                           const KeyStoreCall& call) override;
  StatusOr<Bytes> Seal(const LoadedKey& key, const CiphertextHeader& header, const EncryptionContext& context,
                       ByteView plaintext, const KeyStoreCall& call) override;
  StatusOr<SecretBytes> Open(const LoadedKey& key, ByteView blob, const EncryptionContext& context,
                             const KeyStoreCall& call) override;
  StatusOr<SecretBytes> GenerateRandom(std::size_t n) override;
  Status DestroyKeyMaterial(const KeyRecord& key) override;

 private:
  std::optional<ConnectionFailure> CheckLogin(pkcs11::Library& library);
  // The token key whose CKA_ID is `material_id` (binary), cached per module epoch.
  StatusOr<CK_OBJECT_HANDLE> FindKey(pkcs11::Lease& lease, ByteView material_id);
  StatusOr<CK_OBJECT_HANDLE> GenerateKey(pkcs11::Lease& lease, const std::string& label, ByteView id);
  // C_EncryptInit / C_DecryptInit (`init`) with the key `material_id`. A
  // cached handle the token no longer knows (every session of the token was
  // closed, which logs it out) is looked up once more.
  using InitFn = CK_RV (*)(CK_SESSION_HANDLE, CK_MECHANISM_PTR, CK_OBJECT_HANDLE);
  Status InitWithKey(pkcs11::Lease& lease, ByteView material_id, CK_MECHANISM& mech, InitFn init,
                     std::string_view call);
  void ForgetHandle(ByteView material_id);

  const CloudHsmCluster cluster_;
  SecretBytes pin_;
  RandomSource& random_;
  const std::size_t sessions_;
  std::shared_ptr<pkcs11::Library> library_;
  std::unique_ptr<pkcs11::SessionPool> pool_;  // set once by Connect, before any other call
  std::mutex handles_mu_;
  std::map<Bytes, std::pair<CK_OBJECT_HANDLE, std::uint64_t>> handles_;  // CKA_ID -> (handle, epoch)
};

// One session and C_Login first, so a refused PIN becomes AWS's connection
// error code instead of a generic failure; the session stays open until the
// pool has its own, so the token is not logged out and in again.
std::optional<ConnectionFailure> CloudHsmBackend::CheckLogin(pkcs11::Library& library) {
  auto slot = library.FindTokenSlot(cluster_.token_label);
  if (!slot.ok()) return ConnectionFailure{"CLUSTER_NOT_FOUND", slot.status().message()};
  CK_FUNCTION_LIST& fn = *library.fn();
  CK_SESSION_HANDLE session = CK_INVALID_HANDLE;
  CK_RV rv = fn.C_OpenSession(*slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, nullptr, nullptr, &session);
  if (rv != CKR_OK)
    return ConnectionFailure{"NETWORK_ERRORS", pkcs11::RvError("C_OpenSession", rv).message()};
  rv = fn.C_Login(session, CKU_USER, const_cast<std::uint8_t*>(pin_.data()), pin_.size());
  std::optional<ConnectionFailure> failure;
  if (rv != CKR_OK && rv != CKR_USER_ALREADY_LOGGED_IN) {
    failure = ConnectionFailure{LoginFailureCode(rv), pkcs11::RvError("C_Login", rv).message()};
  } else {
    pkcs11::SessionPool::Options options;
    options.library = library_;
    options.token_label = cluster_.token_label;
    options.pin = pin_.Clone();
    options.size = sessions_;
    // Each call finds its key by CKA_ID; the pool itself has no object.
    options.find_object = [](CK_FUNCTION_LIST&, CK_SESSION_HANDLE) -> StatusOr<CK_OBJECT_HANDLE> {
      return CK_OBJECT_HANDLE{CK_INVALID_HANDLE};
    };
    auto pool = pkcs11::SessionPool::Create(std::move(options));
    if (pool.ok()) {
      pool_ = std::move(*pool);
    } else {
      failure = ConnectionFailure{"INTERNAL_ERROR", pool.status().message()};
    }
  }
  fn.C_CloseSession(session);
  return failure;
}

std::optional<ConnectionFailure> CloudHsmBackend::Connect() {
  auto library = pkcs11::Library::Open(cluster_.module);
  if (!library.ok()) return ConnectionFailure{"CLUSTER_NOT_FOUND", library.status().message()};
  library_ = std::move(*library);
  return CheckLogin(*library_);
}

StatusOr<CK_OBJECT_HANDLE> CloudHsmBackend::FindKey(pkcs11::Lease& lease, ByteView material_id) {
  const std::uint64_t epoch = library_->epoch();
  const Bytes id(material_id.begin(), material_id.end());
  std::optional<CK_OBJECT_HANDLE> cached;
  {
    std::lock_guard lock(handles_mu_);
    auto it = handles_.find(id);
    if (it != handles_.end() && it->second.second == epoch) cached = it->second.first;
  }
  // A handle outlives neither a logout nor a re-initialisation, and another
  // module may hand the number to a new object: it is used only while it
  // still names an object with this CKA_ID.
  if (cached) {
    Bytes seen(id.size());
    CK_ATTRIBUTE attr{CKA_ID, seen.data(), seen.size()};
    if (lease.fn().C_GetAttributeValue(lease.session(), *cached, &attr, 1) == CKR_OK &&
        attr.ulValueLen == id.size() && seen == id) {
      return *cached;
    }
  }
  CK_OBJECT_CLASS key_class = CKO_SECRET_KEY;
  std::array query = {Attr(CKA_CLASS, &key_class, sizeof(key_class)),
                      Attr(CKA_ID, const_cast<std::uint8_t*>(id.data()), id.size())};
  CK_FUNCTION_LIST& fn = lease.fn();
  CK_RV rv = fn.C_FindObjectsInit(lease.session(), query.data(), query.size());
  if (rv != CKR_OK) return lease.Fail("C_FindObjectsInit", rv);
  std::array<CK_OBJECT_HANDLE, 2> found{};
  CK_ULONG count = 0;
  rv = fn.C_FindObjects(lease.session(), found.data(), found.size(), &count);
  fn.C_FindObjectsFinal(lease.session());
  if (rv != CKR_OK) return lease.Fail("C_FindObjects", rv);
  if (count != 1) {
    return InternalError("the token of " + cluster_.id + " holds " + std::to_string(count) +
                         " keys for KeyMaterialId " + HexEncode(id));
  }
  std::lock_guard lock(handles_mu_);
  handles_[id] = {found[0], epoch};
  return found[0];
}

void CloudHsmBackend::ForgetHandle(ByteView material_id) {
  std::lock_guard lock(handles_mu_);
  handles_.erase(Bytes(material_id.begin(), material_id.end()));
}

Status CloudHsmBackend::InitWithKey(pkcs11::Lease& lease, ByteView material_id, CK_MECHANISM& mech,
                                    InitFn init, std::string_view call) {
  for (int attempt = 0;; ++attempt) {
    ASSIGN_OR_RETURN(CK_OBJECT_HANDLE handle, FindKey(lease, material_id));
    const CK_RV rv = init(lease.session(), &mech, handle);
    if (rv == CKR_OK) return Status::Ok();
    if ((rv == CKR_OBJECT_HANDLE_INVALID || rv == CKR_KEY_HANDLE_INVALID) && attempt == 0) {
      ForgetHandle(material_id);
      continue;
    }
    return lease.Fail(call, rv);
  }
}

StatusOr<CK_OBJECT_HANDLE> CloudHsmBackend::GenerateKey(pkcs11::Lease& lease, const std::string& label,
                                                        ByteView id) {
  CK_OBJECT_CLASS key_class = CKO_SECRET_KEY;
  CK_KEY_TYPE key_type = CKK_AES;
  CK_ULONG len = kKeyLen;
  std::array attrs = {
      Attr(CKA_CLASS, &key_class, sizeof(key_class)),
      Attr(CKA_KEY_TYPE, &key_type, sizeof(key_type)),
      Attr(CKA_VALUE_LEN, &len, sizeof(len)),
      Attr(CKA_LABEL, const_cast<char*>(label.data()), label.size()),
      Attr(CKA_ID, const_cast<std::uint8_t*>(id.data()), id.size()),
      Attr(CKA_TOKEN, &g_true, sizeof(CK_BBOOL)),
      Attr(CKA_PRIVATE, &g_true, sizeof(CK_BBOOL)),
      Attr(CKA_SENSITIVE, &g_true, sizeof(CK_BBOOL)),
      Attr(CKA_EXTRACTABLE, &g_false, sizeof(CK_BBOOL)),
      Attr(CKA_ENCRYPT, &g_true, sizeof(CK_BBOOL)),
      Attr(CKA_DECRYPT, &g_true, sizeof(CK_BBOOL)),
      Attr(CKA_WRAP, &g_false, sizeof(CK_BBOOL)),
      Attr(CKA_UNWRAP, &g_false, sizeof(CK_BBOOL)),
      Attr(CKA_SIGN, &g_false, sizeof(CK_BBOOL)),
      Attr(CKA_VERIFY, &g_false, sizeof(CK_BBOOL)),
      Attr(CKA_DERIVE, &g_false, sizeof(CK_BBOOL)),
  };
  CK_MECHANISM mech{CKM_AES_KEY_GEN, nullptr, 0};
  CK_OBJECT_HANDLE key = CK_INVALID_HANDLE;
  const CK_RV rv = lease.fn().C_GenerateKey(lease.session(), &mech, attrs.data(), attrs.size(), &key);
  if (rv != CKR_OK) return lease.Fail("C_GenerateKey", rv);
  return key;
}

Status CloudHsmBackend::CreateKeyMaterial(KeyRecord& draft, const nlohmann::json& /*request*/,
                                          const KeyStoreCall& /*call*/) {
  Bytes id(kVersionIdLen);
  RETURN_IF_ERROR(random_.Fill(id));
  ASSIGN_OR_RETURN(pkcs11::Lease lease, pool_->Acquire());
  ASSIGN_OR_RETURN(CK_OBJECT_HANDLE handle, GenerateKey(lease, draft.key_id, id));
  {
    std::lock_guard lock(handles_mu_);
    handles_[id] = {handle, library_->epoch()};
  }
  // The material stays in the token: the version records only its id.
  draft.versions.push_back(KeyVersion{HexEncode(id), draft.created_ms, "", {}});
  return Status::Ok();
}

StatusOr<Bytes> CloudHsmBackend::Seal(const LoadedKey& /*key*/, const CiphertextHeader& header,
                                      const EncryptionContext& context, ByteView plaintext,
                                      const KeyStoreCall& /*call*/) {
  Bytes blob = EncodeCiphertextHeader(header);
  const std::size_t header_len = blob.size();
  blob.resize(header_len + kSaltLen + kIvLen + plaintext.size() + kTagLen);
  RETURN_IF_ERROR(random_.Fill(std::span(blob.data() + header_len, kSaltLen + kIvLen)));
  const std::uint8_t* salt = blob.data() + header_len;
  const std::uint8_t* iv = salt + kSaltLen;
  const Bytes aad = CiphertextAad(ByteView(blob.data(), header_len), ByteView(salt, kSaltLen),
                                  ByteView(iv, kIvLen), context);
  ASSIGN_OR_RETURN(pkcs11::Lease lease, pool_->Acquire());
  CK_GCM_PARAMS params = GcmParams(iv, aad);
  CK_MECHANISM mech{CKM_AES_GCM, &params, sizeof(params)};
  RETURN_IF_ERROR(InitWithKey(lease, header.version_id, mech, lease.fn().C_EncryptInit, "C_EncryptInit"));
  std::uint8_t none = 0;  // modules refuse a null input pointer even for zero bytes
  std::uint8_t* in = plaintext.empty() ? &none : const_cast<std::uint8_t*>(plaintext.data());
  const std::size_t out_offset = header_len + kSaltLen + kIvLen;
  CK_ULONG out_len = plaintext.size() + kTagLen;
  const CK_RV rv =
      lease.fn().C_Encrypt(lease.session(), in, plaintext.size(), blob.data() + out_offset, &out_len);
  if (rv != CKR_OK) return lease.Fail("C_Encrypt", rv);
  if (out_len != plaintext.size() + kTagLen)
    return InternalError("PKCS#11 C_Encrypt returned a short output");
  return blob;
}

StatusOr<SecretBytes> CloudHsmBackend::Open(const LoadedKey& /*key*/, ByteView blob,
                                            const EncryptionContext& context, const KeyStoreCall& /*call*/) {
  ASSIGN_OR_RETURN(CiphertextParts parts, SplitCiphertext(blob));
  const Bytes aad = CiphertextAad(parts.header_bytes, parts.salt, parts.iv, context);
  ASSIGN_OR_RETURN(pkcs11::Lease lease, pool_->Acquire());
  CK_GCM_PARAMS params = GcmParams(parts.iv.data(), aad);
  CK_MECHANISM mech{CKM_AES_GCM, &params, sizeof(params)};
  RETURN_IF_ERROR(
      InitWithKey(lease, parts.header.version_id, mech, lease.fn().C_DecryptInit, "C_DecryptInit"));
  // ciphertext | tag are contiguous in the blob, as C_Decrypt wants them.
  const std::size_t sealed_len = parts.ciphertext.size() + kTagLen;
  SecretBytes out(sealed_len);  // the module may want room for the tag too
  CK_ULONG out_len = out.size();
  std::uint8_t none = 0;
  std::uint8_t* dst = out.empty() ? &none : out.data();
  const CK_RV rv = lease.fn().C_Decrypt(lease.session(),
                                        const_cast<std::uint8_t*>(parts.tag.data() - parts.ciphertext.size()),
                                        sealed_len, dst, &out_len);
  // A failed tag ends the operation; the session itself is fine. SoftHSM2
  // reports a GCM tag mismatch as CKR_GENERAL_ERROR: after a C_DecryptInit
  // that succeeded, that is read as a ciphertext that does not open too.
  if (rv == CKR_ENCRYPTED_DATA_INVALID || rv == CKR_ENCRYPTED_DATA_LEN_RANGE || rv == CKR_GENERAL_ERROR) {
    return InvalidCiphertext();
  }
  if (rv != CKR_OK) return lease.Fail("C_Decrypt", rv);
  if (out_len != parts.ciphertext.size()) return InternalError("PKCS#11 C_Decrypt returned a wrong length");
  out.resize(out_len);
  return out;
}

StatusOr<SecretBytes> CloudHsmBackend::GenerateRandom(std::size_t n) {
  SecretBytes out(n);
  if (n == 0) return out;
  ASSIGN_OR_RETURN(pkcs11::Lease lease, pool_->Acquire());
  const CK_RV rv = lease.fn().C_GenerateRandom(lease.session(), out.data(), n);
  if (rv != CKR_OK) return lease.Fail("C_GenerateRandom", rv);
  return out;
}

Status CloudHsmBackend::DestroyKeyMaterial(const KeyRecord& key) {
  ASSIGN_OR_RETURN(pkcs11::Lease lease, pool_->Acquire());
  for (const KeyVersion& version : key.versions) {
    auto id = HexDecode(version.id);
    if (!id) continue;
    ForgetHandle(*id);  // a fresh lookup: a stale handle could name another object
    ASSIGN_OR_RETURN(CK_OBJECT_HANDLE handle, FindKey(lease, *id));
    const CK_RV rv = lease.fn().C_DestroyObject(lease.session(), handle);
    ForgetHandle(*id);
    if (rv != CKR_OK) return lease.Fail("C_DestroyObject", rv);
  }
  return Status::Ok();
}

}  // namespace

std::unique_ptr<KeyStoreBackend> NewCloudHsmBackend(const CloudHsmCluster& cluster, SecretBytes pin,
                                                    RandomSource& random, std::size_t sessions) {
  return std::make_unique<CloudHsmBackend>(cluster, std::move(pin), random, sessions);
}

void RegisterCloudHsm(CustomKeyStores& stores, const std::vector<CloudHsmCluster>& clusters,
                      RandomSource& random) {
  for (const CloudHsmCluster& cluster : clusters) stores.AddCloudHsmCluster(cluster);
  stores.RegisterFactory(kTypeCloudHsm,
                         [&stores, &random](const CustomKeyStoreRecord& record,
                                            SecretBytes pin) -> StatusOr<std::unique_ptr<KeyStoreBackend>> {
                           const CloudHsmCluster* cluster = stores.FindCluster(record.cloud_hsm_cluster_id);
                           if (cluster == nullptr) {
                             return Status(ErrorCode::kCloudHsmClusterNotFound,
                                           "CloudHSM cluster " + record.cloud_hsm_cluster_id +
                                               " is not configured on this server");
                           }
                           return NewCloudHsmBackend(*cluster, std::move(pin), random, 4);
                         });
}

}  // namespace coffer::kms

// KMS custom key stores: the stored record of a store (AWS_CLOUDHSM or
// EXTERNAL_KEY_STORE), the backend interface a store type implements, and the
// registry (CustomKeyStores) that keeps records, factories and the live,
// connected backends.
//
// A key in a custom key store (KeyRecord::custom_key_store_id set) has its
// Encrypt/Decrypt/GenerateDataKey*/ReEncrypt done by its store's backend
// (ops/crypto.cc asks CustomKeyStores::BackendFor and calls Seal/Open), and
// only while the store is CONNECTED; otherwise the call fails with
// KMSInvalidStateException, as on AWS.
//
// ---------------------------------------------------------------------------
// What an EXTERNAL_KEY_STORE backend (src/xks/) must implement
// ---------------------------------------------------------------------------
// Register once at start-up (src/server/app.cc, next to RegisterCloudHsm):
//
//   custom_key_stores.RegisterFactory(kms::kTypeExternalKeyStore, <BackendFactory>);
//
// The factory receives the store's record (XksProxyUriEndpoint, UriPath,
// Connectivity, VpcEndpointServiceName, the credential's AccessKeyId) and the
// credential's secret access key unwrapped (never log it or put it in a
// Status). It must not do network I/O; Connect does. Then:
//
//  - Connect(): the proxy health check (GetHealthStatus). nullopt when
//    usable; otherwise a ConnectionFailure whose `code` is one of AWS's
//    ConnectionErrorCode values (XKS_PROXY_ACCESS_DENIED,
//    XKS_PROXY_INVALID_RESPONSE, XKS_PROXY_INVALID_CONFIGURATION,
//    XKS_PROXY_NOT_REACHABLE, XKS_PROXY_TIMED_OUT, INVALID_CREDENTIALS,
//    NETWORK_ERRORS, INTERNAL_ERROR, ...). The store then becomes FAILED.
//  - CreateKeyMaterial(draft, request, call): request["XksKeyId"] is the key
//    in the proxy (CreateKey validated it is present for EXTERNAL_KEY_STORE);
//    check it with the proxy (GetKeyMetadata: AES_256, Encrypt+Decrypt,
//    ENABLED; AWS's XksKeyInvalidConfiguration/XksKeyNotFound errors
//    otherwise) and set draft.xks_key_id. Leave draft.versions EMPTY: Coffer
//    then adds its own KMS-layer material (a normal wrapped KeyVersion), which
//    Seal/Open find in LoadedKey::material (double encryption).
//  - Seal(key, header, context, plaintext, call): the whole ciphertext blob.
//    It MUST begin with Coffer's header bytes (format 0x01 | account | key id
//    | version id of key.record.Current(), exactly as SealCiphertext writes
//    them) and be at least header + 32 + 12 + 16 bytes long, so
//    ParseCiphertextHeader finds the key on Decrypt without KeyId. Typical
//    shape: inner = SealCiphertext(header, key.Material(version), context,
//    plaintext); then the proxy's Encrypt of inner with AAD and the
//    proxy's returned fields laid out after the header. `call` carries what
//    the proxy's requestMetadata needs.
//  - Open(key, blob, context, call): the inverse; InvalidCiphertextException
//    when the blob or context does not match.
//  - GenerateRandom(n): AWS refuses GenerateRandom with an external key store
//    id; return Status(kUnsupportedOperation, ...) (ops/crypto.cc never calls
//    it for EXTERNAL_KEY_STORE stores, but keep it safe).
//  - DestroyKeyMaterial(key): nothing to do for XKS (AWS never deletes the
//    external key); return Status::Ok().
//  - Disconnect(): drop connections; called before the backend is destroyed.
// Calls may come from every io thread at once: backends are thread-safe.
// ---------------------------------------------------------------------------
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/bytes.h"
#include "common/random.h"
#include "common/secret_bytes.h"
#include "common/status_or.h"
#include "kms/ciphertext.h"
#include "kms/key_record.h"
#include "store/store.h"

namespace coffer::kms {

struct LoadedKey;
class KeyStore;

inline constexpr std::string_view kCustomKeyStoresTable = "custom_key_stores";

inline constexpr std::string_view kTypeCloudHsm = "AWS_CLOUDHSM";
inline constexpr std::string_view kTypeExternalKeyStore = "EXTERNAL_KEY_STORE";

// ConnectionState values (CONNECTING and DISCONNECTING exist on AWS while an
// asynchronous connect runs; here Connect/Disconnect complete inside the
// request, so a record is stored only in the three lasting states).
inline constexpr std::string_view kConnected = "CONNECTED";
inline constexpr std::string_view kConnecting = "CONNECTING";
inline constexpr std::string_view kDisconnected = "DISCONNECTED";
inline constexpr std::string_view kFailed = "FAILED";

struct CustomKeyStoreRecord {
  std::string id;  // "cks-" + 17 lower-case hex characters
  std::string account;
  std::string region;
  std::string name;  // unique per account and region
  std::string type;  // kTypeCloudHsm | kTypeExternalKeyStore
  std::string state = std::string(kDisconnected);
  std::string connection_error_code;  // set while FAILED
  std::int64_t created_ms = 0;
  // AWS_CLOUDHSM: a configured PKCS#11 token (CloudHsmCluster), its trust
  // anchor as given, and the token's user PIN (AWS: the kmsuser password)
  // wrapped under the root key (CustomKeyStoreSecretAad).
  std::string cloud_hsm_cluster_id;
  std::string trust_anchor_certificate;
  Bytes wrapped_key_store_password;
  // EXTERNAL_KEY_STORE: where the proxy is, and its SigV4 credential; the
  // secret access key wrapped under the root key (CustomKeyStoreSecretAad).
  std::string xks_proxy_uri_endpoint;
  std::string xks_proxy_uri_path;
  std::string xks_proxy_vpc_endpoint_service_name;
  std::string xks_proxy_connectivity;  // PUBLIC_ENDPOINT | VPC_ENDPOINT_SERVICE
  std::string xks_proxy_access_key_id;
  Bytes wrapped_xks_proxy_secret;
};

// Store location of a record: "<region>/<account>/<id>".
std::string CustomKeyStoreKey(std::string_view region, std::string_view account, std::string_view id);
// AAD binding a store's wrapped secret (PIN or XKS secret) to the store.
std::string CustomKeyStoreSecretAad(const CustomKeyStoreRecord& record);
std::string EncodeCustomKeyStoreRecord(const CustomKeyStoreRecord& record);
StatusOr<CustomKeyStoreRecord> DecodeCustomKeyStoreRecord(std::string_view text);
// "cks-" + 17 hex characters, as AWS's ids look.
StatusOr<std::string> NewCustomKeyStoreId(RandomSource& random);

// What a backend call is made for: the XKS proxy's requestMetadata and audit.
struct KeyStoreCall {
  std::string principal_arn;  // the caller (awsPrincipalArn)
  std::string kms_key_arn;    // the KMS key (kmsKeyArn)
  std::string operation;      // "Encrypt", "Decrypt", "GenerateDataKey", "ReEncrypt", "CreateKey", ...
  std::string request_id;     // this request's x-amzn-RequestId (kmsRequestId)
  std::string via_service;    // kms:ViaService when another service calls for the caller
};

// Why a Connect did not succeed. `code` is one of AWS's ConnectionErrorCode
// values; `detail` is for the server log (never a secret), not the client.
struct ConnectionFailure {
  std::string code;
  std::string detail;
};

// One connected custom key store. Thread-safe.
class KeyStoreBackend {
 public:
  virtual ~KeyStoreBackend() = default;
  // Logs in / health-checks. nullopt: the store is usable (CONNECTED).
  virtual std::optional<ConnectionFailure> Connect() = 0;
  // Drops sessions or connections; the backend is destroyed afterwards.
  virtual void Disconnect() = 0;
  // CreateKey in this store: `draft` has its key id, account, region, origin
  // and custom_key_store_id. Either the backend sets draft.versions to the
  // first version (material held by the backend: `wrapped` empty), or leaves
  // them empty and Coffer adds its own wrapped material.
  virtual Status CreateKeyMaterial(KeyRecord& draft, const nlohmann::json& request,
                                   const KeyStoreCall& call) = 0;
  // A whole ciphertext blob beginning with `header` (see the top of this file).
  virtual StatusOr<Bytes> Seal(const LoadedKey& key, const CiphertextHeader& header,
                               const EncryptionContext& context, ByteView plaintext,
                               const KeyStoreCall& call) = 0;
  // Decrypts a blob Seal made for `key`; kInvalidCiphertext when it does not open.
  virtual StatusOr<SecretBytes> Open(const LoadedKey& key, ByteView blob, const EncryptionContext& context,
                                     const KeyStoreCall& call) = 0;
  virtual StatusOr<SecretBytes> GenerateRandom(std::size_t n) = 0;
  // The key was deleted (ScheduleKeyDeletion's window ended): forget its
  // material where the backend holds it.
  virtual Status DestroyKeyMaterial(const KeyRecord& key) = 0;
};

// Builds a (not yet connected) backend for a store. `secret` is the store's
// unwrapped secret: the CloudHSM key store password or the XKS proxy secret.
using BackendFactory = std::function<StatusOr<std::unique_ptr<KeyStoreBackend>>(
    const CustomKeyStoreRecord& record, SecretBytes secret)>;

// An operator-configured PKCS#11 token that stands for a CloudHSM cluster
// (`coffer serve --cloudhsm-cluster ID=MODULE:TOKEN_LABEL`).
struct CloudHsmCluster {
  std::string id;  // cluster-<11..16 of [2-7a-zA-Z]>, as AWS's ids
  std::filesystem::path module;
  std::string token_label;
};
// Parses "ID=MODULE_PATH:TOKEN_LABEL" (the first ':' after the '=' ends the path).
StatusOr<CloudHsmCluster> ParseCloudHsmCluster(std::string_view spec);

// Records, factories and the live backends of every custom key store.
class CustomKeyStores {
 public:
  // `keys` wraps and unwraps the stores' secrets under the root key.
  CustomKeyStores(store::Store& store, KeyStore& keys);
  ~CustomKeyStores();

  void RegisterFactory(std::string_view type, BackendFactory factory);
  void AddCloudHsmCluster(CloudHsmCluster cluster);
  const CloudHsmCluster* FindCluster(std::string_view id) const;

  // kCustomKeyStoreNotFound when absent.
  StatusOr<CustomKeyStoreRecord> Get(std::string_view region, std::string_view account, std::string_view id);
  // Every store of an account and region, ordered by id.
  StatusOr<std::vector<CustomKeyStoreRecord>> List(std::string_view region, std::string_view account);
  // Inserts or replaces a record in one durable write.
  Status Put(const CustomKeyStoreRecord& record);
  // Put after `check` accepted it, in the same write transaction; `check`
  // sees every other store of every account (names, clusters, proxy URIs).
  Status PutChecked(const CustomKeyStoreRecord& record,
                    const std::function<Status(const std::vector<CustomKeyStoreRecord>& others)>& check);
  Status Delete(const CustomKeyStoreRecord& record);

  StatusOr<Bytes> WrapSecret(const CustomKeyStoreRecord& record, ByteView secret);

  // Builds the backend, connects it and keeps it when it connected. Returns
  // the failure (code + detail) otherwise; no factory for the type gives
  // INTERNAL_ERROR (a store type this server was built without).
  std::optional<ConnectionFailure> Connect(const CustomKeyStoreRecord& record);
  // Drops the live backend of a store, if any.
  void Disconnect(std::string_view region, std::string_view account, std::string_view id);

  // The backend serving crypto for a key of a custom key store: its store
  // must be CONNECTED (KMSInvalidStateException otherwise). A CONNECTED store
  // with no live backend here (after a restart, or connected by another
  // cluster node) is connected on first use.
  StatusOr<std::shared_ptr<KeyStoreBackend>> BackendFor(const KeyRecord& key);
  // The live backend of a CONNECTED store (GenerateRandom, CreateKey).
  StatusOr<std::shared_ptr<KeyStoreBackend>> Connected(const CustomKeyStoreRecord& record);
  // A key of a custom key store was deleted: its material goes from the
  // backend too when the store is connected; otherwise it stays there (as on
  // AWS) and this is logged.
  void DestroyKeyMaterial(const KeyRecord& key);

 private:
  StatusOr<std::shared_ptr<KeyStoreBackend>> Build(const CustomKeyStoreRecord& record,
                                                   std::optional<ConnectionFailure>& failure);

  store::Store& store_;
  KeyStore& keys_;
  std::map<std::string, BackendFactory, std::less<>> factories_;
  std::map<std::string, CloudHsmCluster, std::less<>> clusters_;
  std::mutex mu_;
  std::map<std::string, std::shared_ptr<KeyStoreBackend>, std::less<>> live_;  // by CustomKeyStoreKey
};

// Registers the AWS_CLOUDHSM factory (kms/cloudhsm_backend.cc) and the
// configured clusters.
void RegisterCloudHsm(CustomKeyStores& stores, const std::vector<CloudHsmCluster>& clusters,
                      RandomSource& random);

}  // namespace coffer::kms

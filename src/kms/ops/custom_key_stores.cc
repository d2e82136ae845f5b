// Custom key stores: CreateCustomKeyStore, DescribeCustomKeyStores,
// UpdateCustomKeyStore, DeleteCustomKeyStore, ConnectCustomKeyStore,
// DisconnectCustomKeyStore; and what CreateKey, GenerateRandom and the
// symmetric crypto operations do for keys in a custom key store.
#include <algorithm>

#include "common/encoding.h"
#include "kms/custom_key_store.h"
#include "kms/ops/ops.h"

namespace coffer::kms::ops {
namespace {

std::string Member(const Json& req, std::string_view name) {
  auto it = req.find(name);
  return it != req.end() && it->is_string() ? it->get<std::string>() : std::string();
}

bool Has(const Json& req, std::string_view name) {
  auto it = req.find(name);
  return it != req.end() && !it->is_null();
}

StatusOr<CustomKeyStores*> Stores(KmsService& kms) {
  if (kms.custom_key_stores() == nullptr) {
    return Status(ErrorCode::kUnsupportedOperation, "Custom key stores are not enabled on this server");
  }
  return kms.custom_key_stores();
}

Status InvalidState(const CustomKeyStoreRecord& r, std::string_view operation, std::string_view wanted) {
  return {ErrorCode::kCustomKeyStoreInvalidState,
          std::string(operation) + " is not valid for custom key store " + r.id +
              " while its ConnectionState is " + r.state + "; it must be " + std::string(wanted) + "."};
}

// ---- field rules the model cannot express ----

constexpr std::array kCloudHsmFields = {"CloudHsmClusterId", "TrustAnchorCertificate", "KeyStorePassword"};
constexpr std::array kXksFields = {"XksProxyUriEndpoint",
                                   "XksProxyUriPath",
                                   "XksProxyVpcEndpointServiceName",
                                   "XksProxyVpcEndpointServiceOwner",
                                   "XksProxyAuthenticationCredential",
                                   "XksProxyConnectivity"};

template <std::size_t N>
Status RejectFields(const Json& req, const std::array<const char*, N>& fields, std::string_view type) {
  for (const char* field : fields) {
    if (Has(req, field)) {
      return ValidationError("The " + std::string(field) +
                             " parameter is not valid for a custom key store of type " + std::string(type) +
                             ".");
    }
  }
  return Status::Ok();
}

Status Require(const Json& req, std::string_view field, std::string_view type) {
  if (Has(req, field)) return Status::Ok();
  return ValidationError("A custom key store of type " + std::string(type) + " requires the " +
                         std::string(field) + " parameter.");
}

// A PEM certificate: the armour, base64 inside, and DER that is one SEQUENCE
// whose length covers exactly the decoded bytes. The trust anchor cannot be
// compared with a PKCS#11 token's (tokens have no cluster certificate), so
// this is as far as Coffer checks it.
bool IsPemCertificate(std::string_view pem) {
  constexpr std::string_view kBegin = "-----BEGIN CERTIFICATE-----";
  constexpr std::string_view kEnd = "-----END CERTIFICATE-----";
  const std::size_t begin = pem.find(kBegin);
  const std::size_t end = pem.find(kEnd);
  if (begin == std::string_view::npos || end == std::string_view::npos || end < begin) return false;
  std::string body;
  for (char c : pem.substr(begin + kBegin.size(), end - begin - kBegin.size())) {
    if (c != '\n' && c != '\r' && c != ' ' && c != '\t') body.push_back(c);
  }
  auto der = Base64Decode(body);
  if (!der || der->size() < 4 || (*der)[0] != 0x30) return false;
  std::size_t len = (*der)[1], header = 2;
  if (len & 0x80) {
    const std::size_t n = len & 0x7f;
    if (n == 0 || n > 3 || der->size() < 2 + n) return false;
    len = 0;
    for (std::size_t i = 0; i < n; ++i) len = (len << 8) | (*der)[2 + i];
    header = 2 + n;
  }
  return header + len == der->size();
}

Status CheckTrustAnchor(const std::string& pem) {
  if (IsPemCertificate(pem)) return Status::Ok();
  return {
      ErrorCode::kIncorrectTrustAnchor,
      "The TrustAnchorCertificate is not a PEM-encoded X.509 certificate, so it cannot be the trust anchor "
      "of the cluster."};
}

// The cluster must be configured (--cloudhsm-cluster) and back no other store:
// a token's login state is shared by the whole process, so one token serves
// at most one custom key store on this server, whatever the account.
Status CheckCluster(CustomKeyStores& stores, const std::string& cluster_id,
                    const std::vector<CustomKeyStoreRecord>& others) {
  const CloudHsmCluster* cluster = stores.FindCluster(cluster_id);
  if (cluster == nullptr) {
    return {ErrorCode::kCloudHsmClusterNotFound,
            "No CloudHSM cluster with ID " + cluster_id +
                " is configured on this server (coffer serve --cloudhsm-cluster)."};
  }
  for (const auto& other : others) {
    if (other.type != kTypeCloudHsm) continue;
    const CloudHsmCluster* used = stores.FindCluster(other.cloud_hsm_cluster_id);
    const bool same_token =
        used != nullptr && used->module == cluster->module && used->token_label == cluster->token_label;
    if (other.cloud_hsm_cluster_id == cluster_id || same_token) {
      return {ErrorCode::kCloudHsmClusterInUse,
              "CloudHSM cluster " + cluster_id + " is already associated with a custom key store."};
    }
  }
  return Status::Ok();
}

Status CheckName(const CustomKeyStoreRecord& record, const std::vector<CustomKeyStoreRecord>& others) {
  for (const auto& other : others) {
    if (other.account == record.account && other.region == record.region && other.name == record.name) {
      return {ErrorCode::kCustomKeyStoreNameInUse,
              "A custom key store named " + record.name + " already exists in this account and region."};
    }
  }
  return Status::Ok();
}

// XksProxyConnectivity and the VPC endpoint service name go together.
Status CheckXksConnectivity(const CustomKeyStoreRecord& r) {
  if (r.xks_proxy_connectivity == "VPC_ENDPOINT_SERVICE" && r.xks_proxy_vpc_endpoint_service_name.empty()) {
    return ValidationError(
        "XksProxyVpcEndpointServiceName is required when XksProxyConnectivity is VPC_ENDPOINT_SERVICE.");
  }
  if (r.xks_proxy_connectivity == "PUBLIC_ENDPOINT" && !r.xks_proxy_vpc_endpoint_service_name.empty()) {
    return ValidationError(
        "XksProxyVpcEndpointServiceName is valid only when XksProxyConnectivity is VPC_ENDPOINT_SERVICE.");
  }
  return Status::Ok();
}

// AWS: within an account and region, no two external key stores share a
// proxy endpoint + path, a VPC endpoint service, or (VPC connectivity) an endpoint.
Status CheckXksUnique(const CustomKeyStoreRecord& r, const std::vector<CustomKeyStoreRecord>& others) {
  for (const auto& o : others) {
    if (o.type != kTypeExternalKeyStore || o.account != r.account || o.region != r.region) continue;
    if (o.xks_proxy_uri_endpoint == r.xks_proxy_uri_endpoint &&
        o.xks_proxy_uri_path == r.xks_proxy_uri_path) {
      return Status(ErrorCode::kAlreadyExists,
                    "The XksProxyUriEndpoint and XksProxyUriPath are already used by " + o.id + ".")
          .Named("XksProxyUriInUseException");
    }
    if (r.xks_proxy_connectivity == "VPC_ENDPOINT_SERVICE" &&
        o.xks_proxy_uri_endpoint == r.xks_proxy_uri_endpoint) {
      return Status(ErrorCode::kAlreadyExists, "The XksProxyUriEndpoint is already used by " + o.id + ".")
          .Named("XksProxyUriEndpointInUseException");
    }
    if (!r.xks_proxy_vpc_endpoint_service_name.empty() &&
        o.xks_proxy_vpc_endpoint_service_name == r.xks_proxy_vpc_endpoint_service_name) {
      return Status(ErrorCode::kAlreadyExists,
                    "The XksProxyVpcEndpointServiceName is already used by " + o.id + ".")
          .Named("XksProxyVpcEndpointServiceInUseException");
    }
  }
  return Status::Ok();
}

// Copies the XKS members present in `req` onto the record (create and update).
Status ReadXksFields(CustomKeyStores& stores, const Json& req, CustomKeyStoreRecord& r) {
  if (Has(req, "XksProxyUriEndpoint")) r.xks_proxy_uri_endpoint = Member(req, "XksProxyUriEndpoint");
  if (Has(req, "XksProxyUriPath")) r.xks_proxy_uri_path = Member(req, "XksProxyUriPath");
  if (Has(req, "XksProxyVpcEndpointServiceName")) {
    r.xks_proxy_vpc_endpoint_service_name = Member(req, "XksProxyVpcEndpointServiceName");
  }
  if (Has(req, "XksProxyConnectivity")) r.xks_proxy_connectivity = Member(req, "XksProxyConnectivity");
  if (Has(req, "XksProxyAuthenticationCredential")) {
    const Json& credential = req["XksProxyAuthenticationCredential"];
    r.xks_proxy_access_key_id = credential.value("AccessKeyId", "");
    const std::string secret = credential.value("RawSecretAccessKey", "");
    ASSIGN_OR_RETURN(r.wrapped_xks_proxy_secret, stores.WrapSecret(r, AsBytes(secret)));
  }
  return Status::Ok();
}

Status ReadCloudHsmFields(CustomKeyStores& stores, const Json& req, CustomKeyStoreRecord& r) {
  if (Has(req, "CloudHsmClusterId")) r.cloud_hsm_cluster_id = Member(req, "CloudHsmClusterId");
  if (Has(req, "TrustAnchorCertificate")) {
    r.trust_anchor_certificate = Member(req, "TrustAnchorCertificate");
    RETURN_IF_ERROR(CheckTrustAnchor(r.trust_anchor_certificate));
  }
  if (Has(req, "KeyStorePassword")) {
    const std::string password = Member(req, "KeyStorePassword");
    ASSIGN_OR_RETURN(r.wrapped_key_store_password, stores.WrapSecret(r, AsBytes(password)));
  }
  return Status::Ok();
}

Json StoreEntry(const CustomKeyStoreRecord& r) {
  Json e = {{"CustomKeyStoreId", r.id},
            {"CustomKeyStoreName", r.name},
            {"CustomKeyStoreType", r.type},
            {"ConnectionState", r.state},
            {"CreationDate", static_cast<double>(r.created_ms) / 1000.0}};
  if (r.state == kFailed && !r.connection_error_code.empty())
    e["ConnectionErrorCode"] = r.connection_error_code;
  if (r.type == kTypeCloudHsm) {
    e["CloudHsmClusterId"] = r.cloud_hsm_cluster_id;
    e["TrustAnchorCertificate"] = r.trust_anchor_certificate;
  } else {
    Json xks = {{"Connectivity", r.xks_proxy_connectivity},
                {"AccessKeyId", r.xks_proxy_access_key_id},
                {"UriEndpoint", r.xks_proxy_uri_endpoint},
                {"UriPath", r.xks_proxy_uri_path}};
    if (!r.xks_proxy_vpc_endpoint_service_name.empty()) {
      xks["VpcEndpointServiceName"] = r.xks_proxy_vpc_endpoint_service_name;
    }
    e["XksProxyConfiguration"] = std::move(xks);
  }
  return e;
}

// Whether any key (in any state, PendingDeletion included) lives in the store.
StatusOr<bool> StoreHasKeys(KmsService& kms, const CustomKeyStoreRecord& r) {
  std::string after;
  for (;;) {
    ASSIGN_OR_RETURN(KeyPage page, kms.keys().ListKeys(r.region, r.account, after, 1000));
    for (const KeyRecord& key : page.keys) {
      if (key.custom_key_store_id == r.id) return true;
    }
    if (!page.truncated || page.keys.empty()) return false;
    after = page.keys.back().key_id;
  }
}

StatusOr<CustomKeyStoreRecord> StoreNamed(CustomKeyStores& stores, const RequestContext& ctx,
                                          const Json& req) {
  return stores.Get(ctx.region, ctx.account, req.at("CustomKeyStoreId").get<std::string>());
}

Status ApplyUpdate(CustomKeyStores& stores, const Json& req, CustomKeyStoreRecord& r) {
  if (r.type == kTypeCloudHsm) {
    RETURN_IF_ERROR(RejectFields(req, kXksFields, r.type));
    return ReadCloudHsmFields(stores, req, r);
  }
  RETURN_IF_ERROR(RejectFields(req, kCloudHsmFields, r.type));
  RETURN_IF_ERROR(ReadXksFields(stores, req, r));
  return CheckXksConnectivity(r);
}

// A related cluster is one on the same token (AWS: sharing the backup history).
Status CheckRelated(CustomKeyStores& stores, const CustomKeyStoreRecord& before,
                    const CustomKeyStoreRecord& after) {
  if (before.cloud_hsm_cluster_id == after.cloud_hsm_cluster_id) return Status::Ok();
  const CloudHsmCluster* old_cluster = stores.FindCluster(before.cloud_hsm_cluster_id);
  const CloudHsmCluster* new_cluster = stores.FindCluster(after.cloud_hsm_cluster_id);
  if (new_cluster == nullptr) {
    return {ErrorCode::kCloudHsmClusterNotFound,
            "No CloudHSM cluster with ID " + after.cloud_hsm_cluster_id + " is configured on this server."};
  }
  if (old_cluster == nullptr || old_cluster->module != new_cluster->module ||
      old_cluster->token_label != new_cluster->token_label) {
    return {ErrorCode::kCloudHsmClusterNotRelated, "CloudHSM cluster " + after.cloud_hsm_cluster_id +
                                                       " is not related to " + before.cloud_hsm_cluster_id +
                                                       " (it is not the same token)."};
  }
  return Status::Ok();
}

}  // namespace

StatusOr<Json> CreateCustomKeyStore(KmsService& kms, const RequestContext& ctx, const Json& req) {
  ASSIGN_OR_RETURN(CustomKeyStores * stores, Stores(kms));
  RETURN_IF_ERROR(kms.AuthorizeAccount(ctx));
  CustomKeyStoreRecord r;
  r.account = ctx.account;
  r.region = ctx.region;
  r.name = req.at("CustomKeyStoreName").get<std::string>();
  r.type = Has(req, "CustomKeyStoreType") ? Member(req, "CustomKeyStoreType") : std::string(kTypeCloudHsm);
  r.created_ms = kms.NowMs();
  ASSIGN_OR_RETURN(r.id, NewCustomKeyStoreId(kms.random()));
  if (r.type == kTypeCloudHsm) {
    RETURN_IF_ERROR(RejectFields(req, kXksFields, r.type));
    for (const char* field : kCloudHsmFields) RETURN_IF_ERROR(Require(req, field, r.type));
    RETURN_IF_ERROR(ReadCloudHsmFields(*stores, req, r));
  } else {
    RETURN_IF_ERROR(RejectFields(req, kCloudHsmFields, r.type));
    for (const char* field : {"XksProxyUriEndpoint", "XksProxyUriPath", "XksProxyAuthenticationCredential",
                              "XksProxyConnectivity"}) {
      RETURN_IF_ERROR(Require(req, field, r.type));
    }
    RETURN_IF_ERROR(ReadXksFields(*stores, req, r));
    RETURN_IF_ERROR(CheckXksConnectivity(r));
  }
  RETURN_IF_ERROR(stores->PutChecked(r, [&](const std::vector<CustomKeyStoreRecord>& others) {
    RETURN_IF_ERROR(CheckName(r, others));
    if (r.type == kTypeCloudHsm) return CheckCluster(*stores, r.cloud_hsm_cluster_id, others);
    return CheckXksUnique(r, others);
  }));
  return Json{{"CustomKeyStoreId", r.id}};
}

StatusOr<Json> DescribeCustomKeyStores(KmsService& kms, const RequestContext& ctx, const Json& req) {
  ASSIGN_OR_RETURN(CustomKeyStores * stores, Stores(kms));
  RETURN_IF_ERROR(kms.AuthorizeAccount(ctx));
  if (Has(req, "CustomKeyStoreId") && Has(req, "CustomKeyStoreName")) {
    return ValidationError("Specify either CustomKeyStoreId or CustomKeyStoreName, not both.");
  }
  ASSIGN_OR_RETURN(std::string after, DecodeMarker(req));
  ASSIGN_OR_RETURN(std::vector<CustomKeyStoreRecord> all, stores->List(ctx.region, ctx.account));
  const std::string id = Member(req, "CustomKeyStoreId");
  const std::string name = Member(req, "CustomKeyStoreName");
  std::erase_if(all, [&](const CustomKeyStoreRecord& r) {
    return (!id.empty() && r.id != id) || (!name.empty() && r.name != name) ||
           (!after.empty() && r.id <= after);
  });
  if (all.empty() && (!id.empty() || !name.empty()) && after.empty()) {
    return Status(ErrorCode::kCustomKeyStoreNotFound, "Custom key store '" + (id.empty() ? name : id) +
                                                          "' does not exist in this account and region.");
  }
  const std::size_t limit = ReadLimit(req, 100);
  const bool truncated = all.size() > limit;
  if (truncated) all.resize(limit);
  Json entries = Json::array();
  for (const auto& r : all) entries.push_back(StoreEntry(r));
  Json out = {{"CustomKeyStores", std::move(entries)}, {"Truncated", truncated}};
  if (truncated) out["NextMarker"] = EncodeMarker(all.back().id);
  return out;
}

StatusOr<Json> UpdateCustomKeyStore(KmsService& kms, const RequestContext& ctx, const Json& req) {
  ASSIGN_OR_RETURN(CustomKeyStores * stores, Stores(kms));
  RETURN_IF_ERROR(kms.AuthorizeAccount(ctx));
  ASSIGN_OR_RETURN(CustomKeyStoreRecord r, StoreNamed(*stores, ctx, req));
  const CustomKeyStoreRecord before = r;
  // AWS: a CONNECTED store may only be renamed; everything else needs DISCONNECTED.
  const bool name_only = std::all_of(req.items().begin(), req.items().end(), [](const auto& item) {
    return item.key() == "CustomKeyStoreId" || item.key() == "NewCustomKeyStoreName" ||
           item.value().is_null();
  });
  if (r.state != kDisconnected && !(name_only && r.state == kConnected)) {
    return InvalidState(r, "UpdateCustomKeyStore", name_only ? "CONNECTED or DISCONNECTED" : "DISCONNECTED");
  }
  if (Has(req, "NewCustomKeyStoreName")) r.name = Member(req, "NewCustomKeyStoreName");
  RETURN_IF_ERROR(ApplyUpdate(*stores, req, r));
  if (r.type == kTypeCloudHsm) RETURN_IF_ERROR(CheckRelated(*stores, before, r));
  RETURN_IF_ERROR(stores->PutChecked(r, [&](const std::vector<CustomKeyStoreRecord>& others) {
    if (r.name != before.name) RETURN_IF_ERROR(CheckName(r, others));
    if (r.type == kTypeCloudHsm) {
      return r.cloud_hsm_cluster_id == before.cloud_hsm_cluster_id
                 ? Status::Ok()
                 : CheckCluster(*stores, r.cloud_hsm_cluster_id, others);
    }
    return CheckXksUnique(r, others);
  }));
  return Json::object();
}

StatusOr<Json> DeleteCustomKeyStore(KmsService& kms, const RequestContext& ctx, const Json& req) {
  ASSIGN_OR_RETURN(CustomKeyStores * stores, Stores(kms));
  RETURN_IF_ERROR(kms.AuthorizeAccount(ctx));
  ASSIGN_OR_RETURN(CustomKeyStoreRecord r, StoreNamed(*stores, ctx, req));
  if (r.state != kDisconnected) return InvalidState(r, "DeleteCustomKeyStore", "DISCONNECTED");
  ASSIGN_OR_RETURN(bool has_keys, StoreHasKeys(kms, r));
  if (has_keys) {
    return Status(
        ErrorCode::kCustomKeyStoreHasCmks,
        "Custom key store " + r.id +
            " still holds KMS keys; delete them (ScheduleKeyDeletion) and wait for their deletion first.");
  }
  RETURN_IF_ERROR(stores->Delete(r));
  return Json::object();
}

StatusOr<Json> ConnectCustomKeyStore(KmsService& kms, const RequestContext& ctx, const Json& req) {
  ASSIGN_OR_RETURN(CustomKeyStores * stores, Stores(kms));
  RETURN_IF_ERROR(kms.AuthorizeAccount(ctx));
  ASSIGN_OR_RETURN(CustomKeyStoreRecord r, StoreNamed(*stores, ctx, req));
  if (r.state == kFailed)
    return InvalidState(r, "ConnectCustomKeyStore", "DISCONNECTED (disconnect it first)");
  if (r.state == kConnected) return Json::object();  // as AWS: connecting a connected store succeeds
  // AWS connects asynchronously (CONNECTING); here the connection is made
  // before answering, and a failure is reported as AWS reports one later:
  // ConnectionState FAILED with a ConnectionErrorCode in DescribeCustomKeyStores.
  std::optional<ConnectionFailure> failure = stores->Connect(r);
  r.state = failure ? std::string(kFailed) : std::string(kConnected);
  r.connection_error_code = failure ? failure->code : std::string();
  Status saved = stores->Put(r);
  if (!saved.ok()) {
    stores->Disconnect(r.region, r.account, r.id);
    return saved;
  }
  return Json::object();
}

StatusOr<Json> DisconnectCustomKeyStore(KmsService& kms, const RequestContext& ctx, const Json& req) {
  ASSIGN_OR_RETURN(CustomKeyStores * stores, Stores(kms));
  RETURN_IF_ERROR(kms.AuthorizeAccount(ctx));
  ASSIGN_OR_RETURN(CustomKeyStoreRecord r, StoreNamed(*stores, ctx, req));
  if (r.state == kDisconnected) return InvalidState(r, "DisconnectCustomKeyStore", "CONNECTED or FAILED");
  r.state = std::string(kDisconnected);
  r.connection_error_code.clear();
  RETURN_IF_ERROR(stores->Put(r));
  stores->Disconnect(r.region, r.account, r.id);
  return Json::object();
}

// ---- keys in custom key stores ----

bool WantsCustomKeyStore(const Json& req) {
  const std::string origin = Member(req, "Origin");
  return Has(req, "CustomKeyStoreId") || Has(req, "XksKeyId") || origin == kTypeCloudHsm ||
         origin == kTypeExternalKeyStore;
}

StatusOr<KeyRecord> CreateKeyInCustomKeyStore(KmsService& kms, const RequestContext& ctx, const Json& req,
                                              KeyRecord draft) {
  ASSIGN_OR_RETURN(CustomKeyStores * stores, Stores(kms));
  if (!Has(req, "CustomKeyStoreId")) {
    return ValidationError("Origin " + draft.origin + " requires a CustomKeyStoreId.");
  }
  if (draft.origin != kTypeCloudHsm && draft.origin != kTypeExternalKeyStore) {
    return ValidationError("A key in a custom key store needs Origin AWS_CLOUDHSM or EXTERNAL_KEY_STORE.");
  }
  if (draft.key_spec != "SYMMETRIC_DEFAULT" || draft.key_usage != "ENCRYPT_DECRYPT" ||
      req.value("MultiRegion", false)) {
    return Status(ErrorCode::kUnsupportedOperation,
                  "Keys in a custom key store are single-Region SYMMETRIC_DEFAULT keys for ENCRYPT_DECRYPT.");
  }
  if (Has(req, "XksKeyId") != (draft.origin == kTypeExternalKeyStore)) {
    return ValidationError("XksKeyId is required with Origin EXTERNAL_KEY_STORE and valid only with it.");
  }
  ASSIGN_OR_RETURN(CustomKeyStoreRecord store,
                   stores->Get(ctx.region, ctx.account, Member(req, "CustomKeyStoreId")));
  if (store.type != draft.origin) {
    return Status(ErrorCode::kUnsupportedOperation, "Origin " + draft.origin +
                                                        " does not match custom key store " + store.id +
                                                        " of type " + store.type + ".");
  }
  if (store.state != kConnected) return InvalidState(store, "CreateKey", "CONNECTED");
  ASSIGN_OR_RETURN(std::shared_ptr<KeyStoreBackend> backend, stores->Connected(store));
  draft.custom_key_store_id = store.id;
  return kms.CreateSymmetricKey(ctx, std::move(draft), [&](KeyRecord& identified) {
    return backend->CreateKeyMaterial(identified, req, CallFor(ctx, identified));
  });
}

void AddCustomKeyStoreMetadata(KmsService& kms, const KeyRecord& key, Json& metadata) {
  if (key.origin != kTypeCloudHsm || kms.custom_key_stores() == nullptr) return;
  auto store = kms.custom_key_stores()->Get(key.region, key.account, key.custom_key_store_id);
  if (store.ok()) metadata["CloudHsmClusterId"] = store->cloud_hsm_cluster_id;
}

StatusOr<SecretBytes> GenerateRandomInCustomKeyStore(KmsService& kms, const RequestContext& ctx,
                                                     const std::string& store_id, std::size_t n) {
  ASSIGN_OR_RETURN(CustomKeyStores * stores, Stores(kms));
  ASSIGN_OR_RETURN(CustomKeyStoreRecord store, stores->Get(ctx.region, ctx.account, store_id));
  if (store.type == kTypeExternalKeyStore) {
    return Status(ErrorCode::kUnsupportedOperation,
                  "GenerateRandom does not accept the ID of an external key store (" + store.id + ").");
  }
  if (store.state != kConnected) return InvalidState(store, "GenerateRandom", "CONNECTED");
  ASSIGN_OR_RETURN(std::shared_ptr<KeyStoreBackend> backend, stores->Connected(store));
  return backend->GenerateRandom(n);
}

KeyStoreCall CallFor(const RequestContext& ctx, const KeyRecord& key) {
  std::string operation = ctx.action.starts_with("kms:") ? ctx.action.substr(4) : ctx.action;
  if (operation.starts_with("ReEncrypt")) operation = "ReEncrypt";
  return KeyStoreCall{ctx.principal_arn, key.Arn(), std::move(operation), ctx.request_id, ctx.via_service};
}

}  // namespace coffer::kms::ops

#include "kms/custom_key_store.h"

#include <spdlog/spdlog.h>

#include "common/encoding.h"
#include "kms/key_store.h"

namespace coffer::kms {
namespace {

using nlohmann::json;

constexpr std::size_t kIdHexChars = 17;

StatusOr<Bytes> DecodeWrapped(const json& j, std::string_view member) {
  auto decoded = Base64Decode(j.value(std::string(member), ""));
  if (!decoded) return InternalError("stored custom key store secret is corrupt");
  return std::move(*decoded);
}

Status NotConnected(const CustomKeyStoreRecord& record, std::string_view key_arn) {
  return {ErrorCode::kInvalidState, std::string(key_arn) + " is unavailable because its custom key store " +
                                        record.id + " is not connected."};
}

}  // namespace

std::string CustomKeyStoreKey(std::string_view region, std::string_view account, std::string_view id) {
  std::string out;
  out.reserve(region.size() + account.size() + id.size() + 2);
  out.append(region).append("/").append(account).append("/").append(id);
  return out;
}

std::string CustomKeyStoreSecretAad(const CustomKeyStoreRecord& record) {
  return "coffer:custom-key-store:" + CustomKeyStoreKey(record.region, record.account, record.id);
}

std::string EncodeCustomKeyStoreRecord(const CustomKeyStoreRecord& r) {
  json j = {{"id", r.id},     {"account", r.account}, {"region", r.region},        {"name", r.name},
            {"type", r.type}, {"state", r.state},     {"created_ms", r.created_ms}};
  if (!r.connection_error_code.empty()) j["connection_error_code"] = r.connection_error_code;
  if (r.type == kTypeCloudHsm) {
    j["cloud_hsm_cluster_id"] = r.cloud_hsm_cluster_id;
    j["trust_anchor_certificate"] = r.trust_anchor_certificate;
    j["wrapped_key_store_password"] = Base64Encode(r.wrapped_key_store_password);
  } else {
    j["xks_proxy_uri_endpoint"] = r.xks_proxy_uri_endpoint;
    j["xks_proxy_uri_path"] = r.xks_proxy_uri_path;
    j["xks_proxy_vpc_endpoint_service_name"] = r.xks_proxy_vpc_endpoint_service_name;
    j["xks_proxy_connectivity"] = r.xks_proxy_connectivity;
    j["xks_proxy_access_key_id"] = r.xks_proxy_access_key_id;
    j["wrapped_xks_proxy_secret"] = Base64Encode(r.wrapped_xks_proxy_secret);
  }
  return j.dump();
}

StatusOr<CustomKeyStoreRecord> DecodeCustomKeyStoreRecord(std::string_view text) {
  const json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return InternalError("stored custom key store record is corrupt");
  try {
    CustomKeyStoreRecord r;
    r.id = j.at("id").get<std::string>();
    r.account = j.at("account").get<std::string>();
    r.region = j.at("region").get<std::string>();
    r.name = j.at("name").get<std::string>();
    r.type = j.at("type").get<std::string>();
    r.state = j.at("state").get<std::string>();
    r.created_ms = j.at("created_ms").get<std::int64_t>();
    r.connection_error_code = j.value("connection_error_code", "");
    if (r.type == kTypeCloudHsm) {
      r.cloud_hsm_cluster_id = j.value("cloud_hsm_cluster_id", "");
      r.trust_anchor_certificate = j.value("trust_anchor_certificate", "");
      ASSIGN_OR_RETURN(r.wrapped_key_store_password, DecodeWrapped(j, "wrapped_key_store_password"));
    } else {
      r.xks_proxy_uri_endpoint = j.value("xks_proxy_uri_endpoint", "");
      r.xks_proxy_uri_path = j.value("xks_proxy_uri_path", "");
      r.xks_proxy_vpc_endpoint_service_name = j.value("xks_proxy_vpc_endpoint_service_name", "");
      r.xks_proxy_connectivity = j.value("xks_proxy_connectivity", "");
      r.xks_proxy_access_key_id = j.value("xks_proxy_access_key_id", "");
      ASSIGN_OR_RETURN(r.wrapped_xks_proxy_secret, DecodeWrapped(j, "wrapped_xks_proxy_secret"));
    }
    return r;
  } catch (const json::exception&) {
    return InternalError("stored custom key store record is corrupt");
  }
}

StatusOr<std::string> NewCustomKeyStoreId(RandomSource& random) {
  Bytes raw(9);
  RETURN_IF_ERROR(random.Fill(raw));
  return "cks-" + HexEncode(raw).substr(0, kIdHexChars);
}

StatusOr<CloudHsmCluster> ParseCloudHsmCluster(std::string_view spec) {
  const std::size_t eq = spec.find('=');
  const std::size_t colon = eq == std::string_view::npos ? eq : spec.find(':', eq + 1);
  if (eq == std::string_view::npos || colon == std::string_view::npos || eq == 0 || colon == eq + 1 ||
      colon + 1 == spec.size()) {
    return ValidationError("--cloudhsm-cluster wants ID=MODULE_PATH:TOKEN_LABEL, got '" + std::string(spec) +
                           "'");
  }
  CloudHsmCluster cluster{std::string(spec.substr(0, eq)), std::string(spec.substr(eq + 1, colon - eq - 1)),
                          std::string(spec.substr(colon + 1))};
  // AWS's cluster id shape (CloudHsmClusterIdType), so clients' own checks pass.
  const std::string_view id = cluster.id;
  bool shape = id.starts_with("cluster-") && id.size() >= 19 && id.size() <= 24;
  for (char c : id.substr(std::min(id.size(), std::size_t{8}))) {
    shape = shape && ((c >= '2' && c <= '7') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'));
  }
  if (!shape) {
    return ValidationError("--cloudhsm-cluster id '" + cluster.id +
                           "' must look like AWS's: cluster- followed by 11 to 16 of [2-7a-zA-Z]");
  }
  return cluster;
}

CustomKeyStores::CustomKeyStores(store::Store& store, KeyStore& keys) : store_(store), keys_(keys) {}

CustomKeyStores::~CustomKeyStores() {
  for (auto& [id, backend] : live_) backend->Disconnect();
}

void CustomKeyStores::RegisterFactory(std::string_view type, BackendFactory factory) {
  factories_.insert_or_assign(std::string(type), std::move(factory));
}

void CustomKeyStores::AddCloudHsmCluster(CloudHsmCluster cluster) {
  std::string id = cluster.id;
  clusters_.insert_or_assign(std::move(id), std::move(cluster));
}

const CloudHsmCluster* CustomKeyStores::FindCluster(std::string_view id) const {
  auto it = clusters_.find(id);
  return it == clusters_.end() ? nullptr : &it->second;
}

StatusOr<CustomKeyStoreRecord> CustomKeyStores::Get(std::string_view region, std::string_view account,
                                                    std::string_view id) {
  ASSIGN_OR_RETURN(auto txn, store_.BeginRead());
  ASSIGN_OR_RETURN(auto value, txn->Get(kCustomKeyStoresTable, CustomKeyStoreKey(region, account, id)));
  if (!value) {
    return Status(ErrorCode::kCustomKeyStoreNotFound,
                  "Custom key store '" + std::string(id) + "' does not exist in this account and region.");
  }
  return DecodeCustomKeyStoreRecord(*value);
}

StatusOr<std::vector<CustomKeyStoreRecord>> CustomKeyStores::List(std::string_view region,
                                                                  std::string_view account) {
  ASSIGN_OR_RETURN(auto txn, store_.BeginRead());
  const std::string prefix = CustomKeyStoreKey(region, account, "");
  std::vector<CustomKeyStoreRecord> out;
  std::string after;
  for (;;) {
    ASSIGN_OR_RETURN(auto entries, txn->Scan(kCustomKeyStoresTable, prefix, after, 100));
    for (const auto& entry : entries) {
      ASSIGN_OR_RETURN(CustomKeyStoreRecord record, DecodeCustomKeyStoreRecord(entry.value));
      out.push_back(std::move(record));
    }
    if (entries.size() < 100) return out;
    after = entries.back().key;
  }
}

Status CustomKeyStores::Put(const CustomKeyStoreRecord& record) {
  ASSIGN_OR_RETURN(auto txn, store_.BeginWrite());
  RETURN_IF_ERROR(txn->Put(kCustomKeyStoresTable, CustomKeyStoreKey(record.region, record.account, record.id),
                           EncodeCustomKeyStoreRecord(record)));
  return txn->Commit();
}

Status CustomKeyStores::PutChecked(
    const CustomKeyStoreRecord& record,
    const std::function<Status(const std::vector<CustomKeyStoreRecord>& others)>& check) {
  ASSIGN_OR_RETURN(auto txn, store_.BeginWrite());
  std::vector<CustomKeyStoreRecord> others;
  std::string after;
  for (;;) {
    ASSIGN_OR_RETURN(auto entries, txn->Scan(kCustomKeyStoresTable, "", after, 100));
    for (const auto& entry : entries) {
      ASSIGN_OR_RETURN(CustomKeyStoreRecord other, DecodeCustomKeyStoreRecord(entry.value));
      if (other.id != record.id || other.account != record.account || other.region != record.region) {
        others.push_back(std::move(other));
      }
    }
    if (entries.size() < 100) break;
    after = entries.back().key;
  }
  RETURN_IF_ERROR(check(others));
  RETURN_IF_ERROR(txn->Put(kCustomKeyStoresTable, CustomKeyStoreKey(record.region, record.account, record.id),
                           EncodeCustomKeyStoreRecord(record)));
  return txn->Commit();
}

Status CustomKeyStores::Delete(const CustomKeyStoreRecord& record) {
  ASSIGN_OR_RETURN(auto txn, store_.BeginWrite());
  RETURN_IF_ERROR(
      txn->Delete(kCustomKeyStoresTable, CustomKeyStoreKey(record.region, record.account, record.id)));
  return txn->Commit();
}

StatusOr<Bytes> CustomKeyStores::WrapSecret(const CustomKeyStoreRecord& record, ByteView secret) {
  return keys_.WrapSecret(secret, CustomKeyStoreSecretAad(record));
}

StatusOr<std::shared_ptr<KeyStoreBackend>> CustomKeyStores::Build(const CustomKeyStoreRecord& record,
                                                                  std::optional<ConnectionFailure>& failure) {
  auto factory = factories_.find(record.type);
  if (factory == factories_.end()) {
    failure = ConnectionFailure{"INTERNAL_ERROR", "no backend registered for " + record.type};
    return std::shared_ptr<KeyStoreBackend>();
  }
  const Bytes& wrapped =
      record.type == kTypeCloudHsm ? record.wrapped_key_store_password : record.wrapped_xks_proxy_secret;
  ASSIGN_OR_RETURN(SecretBytes secret, keys_.UnwrapSecret(wrapped, CustomKeyStoreSecretAad(record)));
  auto built = factory->second(record, std::move(secret));
  if (!built.ok()) {
    const bool no_cluster = built.status().code() == ErrorCode::kCloudHsmClusterNotFound;
    failure =
        ConnectionFailure{no_cluster ? "CLUSTER_NOT_FOUND" : "INTERNAL_ERROR", built.status().message()};
    return std::shared_ptr<KeyStoreBackend>();
  }
  std::shared_ptr<KeyStoreBackend> backend(std::move(*built));
  failure = backend->Connect();
  if (failure) return std::shared_ptr<KeyStoreBackend>();
  return backend;
}

std::optional<ConnectionFailure> CustomKeyStores::Connect(const CustomKeyStoreRecord& record) {
  std::optional<ConnectionFailure> failure;
  auto backend = Build(record, failure);
  if (!backend.ok()) return ConnectionFailure{"INTERNAL_ERROR", backend.status().message()};
  if (failure) {
    spdlog::warn("custom key store {} did not connect: {} ({})", record.id, failure->code, failure->detail);
    return failure;
  }
  std::shared_ptr<KeyStoreBackend> previous;
  {
    std::lock_guard lock(mu_);
    auto& slot = live_[CustomKeyStoreKey(record.region, record.account, record.id)];
    previous = std::exchange(slot, std::move(*backend));
  }
  if (previous) previous->Disconnect();
  return std::nullopt;
}

void CustomKeyStores::Disconnect(std::string_view region, std::string_view account, std::string_view id) {
  std::shared_ptr<KeyStoreBackend> gone;
  {
    std::lock_guard lock(mu_);
    auto it = live_.find(CustomKeyStoreKey(region, account, id));
    if (it == live_.end()) return;
    gone = std::move(it->second);
    live_.erase(it);
  }
  gone->Disconnect();
}

StatusOr<std::shared_ptr<KeyStoreBackend>> CustomKeyStores::Connected(const CustomKeyStoreRecord& record) {
  const std::string live_key = CustomKeyStoreKey(record.region, record.account, record.id);
  if (record.state != kConnected) {
    // Disconnected by another node (cluster mode): this node lets go too.
    Disconnect(record.region, record.account, record.id);
    return Status(ErrorCode::kCustomKeyStoreInvalidState,
                  "Custom key store " + record.id + " is " + record.state + ", not CONNECTED.");
  }
  {
    std::lock_guard lock(mu_);
    auto it = live_.find(live_key);
    if (it != live_.end()) return it->second;
  }
  // CONNECTED in the store but not here: after a restart, or another node connected it.
  if (auto failure = Connect(record)) {
    // A refused login is not retried on every request (that would walk the
    // token towards a PIN lock): the store becomes FAILED, as AWS marks it,
    // until the operator disconnects and connects it again.
    if (failure->code == "INVALID_CREDENTIALS" || failure->code == "USER_LOCKED_OUT") {
      CustomKeyStoreRecord failed = record;
      failed.state = std::string(kFailed);
      failed.connection_error_code = failure->code;
      if (Status st = Put(failed); !st.ok()) spdlog::warn("custom key store {}: {}", record.id, st.message());
    }
    return Status(ErrorCode::kCustomKeyStoreInvalidState,
                  "Custom key store " + record.id + " cannot be reached (" + failure->code + ").");
  }
  std::lock_guard lock(mu_);
  auto it = live_.find(live_key);
  if (it == live_.end()) return InternalError("custom key store connection was dropped");
  return it->second;
}

void CustomKeyStores::DestroyKeyMaterial(const KeyRecord& key) {
  auto record = Get(key.region, key.account, key.custom_key_store_id);
  if (!record.ok() || record->state != kConnected) {
    spdlog::warn("key {} was deleted while custom key store {} is not connected; its material stays there",
                 key.Arn(), key.custom_key_store_id);
    return;
  }
  auto backend = Connected(*record);
  Status destroyed = backend.ok() ? (*backend)->DestroyKeyMaterial(key) : backend.status();
  if (!destroyed.ok()) {
    spdlog::warn("material of deleted key {} stays in custom key store {}: {}", key.Arn(),
                 key.custom_key_store_id, destroyed.message());
  }
}

StatusOr<std::shared_ptr<KeyStoreBackend>> CustomKeyStores::BackendFor(const KeyRecord& key) {
  auto record = Get(key.region, key.account, key.custom_key_store_id);
  if (!record.ok()) {
    return Status(ErrorCode::kInvalidState, key.Arn() + " is unavailable because its custom key store " +
                                                key.custom_key_store_id + " does not exist.");
  }
  auto backend = Connected(*record);
  if (!backend.ok()) return NotConnected(*record, key.Arn());
  return backend;
}

}  // namespace coffer::kms

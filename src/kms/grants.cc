#include "kms/grants.h"

#include <nlohmann/json.hpp>

#include "common/encoding.h"
#include "common/secret_bytes.h"

namespace coffer::kms {
namespace {

using nlohmann::json;

constexpr std::string_view kGrants = "grants";
constexpr std::string_view kTokenPrefix = "cgt1.";

std::string KeyPrefix(std::string_view region, std::string_view account, std::string_view key_id) {
  return std::string(region) + "/" + std::string(account) + "/" + std::string(key_id) + "/";
}

std::string StoreKey(const GrantRecord& g) {
  return KeyPrefix(g.region, g.account, g.key_id) + g.view.grant_id;
}

json Encode(const GrantRecord& g) {
  return {{"grant_id", g.view.grant_id},
          {"grantee", g.view.grantee_principal},
          {"operations", g.view.operations},
          {"context_equals", g.view.context_equals},
          {"context_subset", g.view.context_subset},
          {"key_arn", g.key_arn},
          {"region", g.region},
          {"account", g.account},
          {"key_id", g.key_id},
          {"name", g.name},
          {"retiring", g.retiring_principal},
          {"issuing_account", g.issuing_account},
          {"token", g.token},
          {"created_ms", g.created_ms}};
}

StatusOr<GrantRecord> Decode(const std::string& text) {
  const json j = json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return InternalError("stored grant is corrupt");
  GrantRecord g;
  g.view.grant_id = j.value("grant_id", "");
  g.view.grantee_principal = j.value("grantee", "");
  g.view.operations = j.value("operations", std::vector<std::string>{});
  g.view.context_equals = j.value("context_equals", std::map<std::string, std::string>{});
  g.view.context_subset = j.value("context_subset", std::map<std::string, std::string>{});
  g.key_arn = j.value("key_arn", "");
  g.region = j.value("region", "");
  g.account = j.value("account", "");
  g.key_id = j.value("key_id", "");
  g.name = j.value("name", "");
  g.retiring_principal = j.value("retiring", "");
  g.issuing_account = j.value("issuing_account", "");
  g.token = j.value("token", "");
  g.created_ms = j.value("created_ms", std::int64_t{0});
  return g;
}

StatusOr<std::vector<GrantRecord>> ScanGrants(store::Txn& txn, const std::string& prefix) {
  ASSIGN_OR_RETURN(auto entries, txn.Scan(kGrants, prefix, "", 1000000));
  std::vector<GrantRecord> out;
  for (const auto& e : entries) {
    ASSIGN_OR_RETURN(GrantRecord g, Decode(e.value));
    out.push_back(std::move(g));
  }
  return out;
}

bool SameParameters(const GrantRecord& a, const GrantRecord& b) {
  return a.view.grantee_principal == b.view.grantee_principal && a.view.operations == b.view.operations &&
         a.view.context_equals == b.view.context_equals && a.view.context_subset == b.view.context_subset &&
         a.retiring_principal == b.retiring_principal;
}

}  // namespace

GrantStore::GrantStore(store::Store& store, RandomSource& random) : store_(store), random_(random) {}

StatusOr<std::vector<GrantView>> GrantStore::GrantsFor(const KeyRecord& key) {
  ASSIGN_OR_RETURN(auto grants, ForKey(key.region, key.account, key.key_id));
  std::vector<GrantView> out;
  for (auto& g : grants) out.push_back(std::move(g.view));
  return out;
}

StatusOr<GrantRecord> GrantStore::Create(GrantRecord draft) {
  ASSIGN_OR_RETURN(auto txn, store_.BeginWrite());
  if (!draft.name.empty()) {
    ASSIGN_OR_RETURN(auto existing, ScanGrants(*txn, KeyPrefix(draft.region, draft.account, draft.key_id)));
    for (auto& g : existing) {
      if (g.name == draft.name && SameParameters(g, draft)) return g;
    }
  }
  Bytes id(32), secret(32);
  RETURN_IF_ERROR(random_.Fill(id));
  RETURN_IF_ERROR(random_.Fill(secret));
  draft.view.grant_id = HexEncode(id);
  draft.token = std::string(kTokenPrefix) + KeyPrefix(draft.region, draft.account, draft.key_id) +
                draft.view.grant_id + "." + HexEncode(secret);
  RETURN_IF_ERROR(txn->Put(kGrants, StoreKey(draft), Encode(draft).dump()));
  RETURN_IF_ERROR(txn->Commit());
  return draft;
}

StatusOr<std::vector<GrantRecord>> GrantStore::ForKey(std::string_view region, std::string_view account,
                                                      std::string_view key_id) {
  ASSIGN_OR_RETURN(auto txn, store_.BeginRead());
  return ScanGrants(*txn, KeyPrefix(region, account, key_id));
}

StatusOr<std::vector<GrantRecord>> GrantStore::ForAccount(std::string_view region, std::string_view account) {
  ASSIGN_OR_RETURN(auto txn, store_.BeginRead());
  return ScanGrants(*txn, std::string(region) + "/" + std::string(account) + "/");
}

StatusOr<std::optional<GrantRecord>> GrantStore::Find(std::string_view region, std::string_view account,
                                                      std::string_view key_id, std::string_view grant_id) {
  ASSIGN_OR_RETURN(auto txn, store_.BeginRead());
  ASSIGN_OR_RETURN(auto value, txn->Get(kGrants, KeyPrefix(region, account, key_id) + std::string(grant_id)));
  if (!value) return std::optional<GrantRecord>();
  ASSIGN_OR_RETURN(GrantRecord g, Decode(*value));
  return std::optional<GrantRecord>(std::move(g));
}

StatusOr<std::optional<GrantRecord>> GrantStore::FindByToken(std::string_view token) {
  if (!token.starts_with(kTokenPrefix)) return std::optional<GrantRecord>();
  const std::string_view body = token.substr(kTokenPrefix.size());
  const std::size_t dot = body.rfind('.');
  if (dot == std::string_view::npos) return std::optional<GrantRecord>();
  ASSIGN_OR_RETURN(auto txn, store_.BeginRead());
  ASSIGN_OR_RETURN(auto value, txn->Get(kGrants, body.substr(0, dot)));
  if (!value) return std::optional<GrantRecord>();
  ASSIGN_OR_RETURN(GrantRecord g, Decode(*value));
  if (!ConstantTimeEquals(AsBytes(g.token), AsBytes(token))) return std::optional<GrantRecord>();
  return std::optional<GrantRecord>(std::move(g));
}

Status GrantStore::Delete(const GrantRecord& grant) {
  ASSIGN_OR_RETURN(auto txn, store_.BeginWrite());
  RETURN_IF_ERROR(txn->Delete(kGrants, StoreKey(grant)));
  return txn->Commit();
}

Status GrantStore::DeleteForKey(std::string_view region, std::string_view account, std::string_view key_id) {
  ASSIGN_OR_RETURN(auto txn, store_.BeginWrite());
  ASSIGN_OR_RETURN(auto grants, ScanGrants(*txn, KeyPrefix(region, account, key_id)));
  for (const auto& g : grants) RETURN_IF_ERROR(txn->Delete(kGrants, StoreKey(g)));
  return txn->Commit();
}

}  // namespace coffer::kms

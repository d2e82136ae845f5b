// Inline user policies, access key status, and the identity policies that
// authorization evaluates for a caller.
#include <mutex>
#include <nlohmann/json.hpp>

#include "iam/identity_store.h"
#include "iam/inline_policies.h"

namespace coffer::iam {
namespace {

using nlohmann::json;

constexpr std::string_view kUsers = "users";
constexpr std::string_view kUserPolicies = "user_policies";
constexpr std::string_view kAccessKeys = "access_keys";

std::string UserKey(std::string_view account_id, std::string_view user_name) {
  return std::string(account_id) + "/" + std::string(user_name);
}

Status NoSuchEntity(std::string message) { return {ErrorCode::kNotFound, std::move(message)}; }

}  // namespace

void IdentityStore::Changed() {
  std::unique_lock lock(mu_);
  principals_.clear();
  policies_.clear();
  generation_.fetch_add(1, std::memory_order_relaxed);
}

Status IdentityStore::PutUserPolicy(std::string_view account_id, std::string_view user_name,
                                    std::string_view policy_name, std::string_view document) {
  RETURN_IF_ERROR(internal::PutInlinePolicy(store_, internal::kUserTables, UserKey(account_id, user_name),
                                            policy_name, document));
  Changed();
  return Status::Ok();
}

StatusOr<std::string> IdentityStore::GetUserPolicy(std::string_view account_id, std::string_view user_name,
                                                   std::string_view policy_name) {
  return internal::GetInlinePolicy(store_, internal::kUserTables, UserKey(account_id, user_name),
                                   policy_name);
}

Status IdentityStore::DeleteUserPolicy(std::string_view account_id, std::string_view user_name,
                                       std::string_view policy_name) {
  RETURN_IF_ERROR(internal::DeleteInlinePolicy(store_, internal::kUserTables, UserKey(account_id, user_name),
                                               policy_name));
  Changed();
  return Status::Ok();
}

StatusOr<std::vector<std::string>> IdentityStore::ListUserPolicies(std::string_view account_id,
                                                                   std::string_view user_name) {
  return internal::ListInlinePolicies(store_, internal::kUserTables, UserKey(account_id, user_name));
}

Status IdentityStore::UpdateAccessKey(std::string_view account_id, std::string_view access_key_id,
                                      std::string_view status) {
  if (status != "Active" && status != "Inactive") {
    return ValidationError("1 validation error detected: Value '" + std::string(status) +
                           "' at 'status' failed to satisfy constraint: Member must satisfy enum value set: "
                           "[Active, Inactive]");
  }
  ASSIGN_OR_RETURN(auto txn, store_.BeginWrite());
  ASSIGN_OR_RETURN(auto value, txn->Get(kAccessKeys, access_key_id));
  json j = value ? json::parse(*value, nullptr, false) : json();
  if (!value || j.is_discarded() || j.value("account_id", "") != account_id) {
    return NoSuchEntity("The Access Key with id " + std::string(access_key_id) + " cannot be found.");
  }
  j["status"] = status;
  RETURN_IF_ERROR(txn->Put(kAccessKeys, access_key_id, j.dump()));
  RETURN_IF_ERROR(txn->Commit());
  Changed();
  return Status::Ok();
}

StatusOr<std::vector<policy::NamedPolicy>> IdentityStore::PoliciesFor(const policy::CallerInfo& who) {
  const std::string cache_key = who.caller.arn;
  const std::uint64_t generation = Generation();
  {
    std::shared_lock lock(mu_);
    if (auto it = policies_.find(cache_key); it != policies_.end()) return it->second;
  }
  ASSIGN_OR_RETURN(auto out, LoadPolicies(who));
  std::unique_lock lock(mu_);
  if (generation == Generation()) policies_[cache_key] = out;  // not if a write raced us
  return out;
}

// A user's AdministratorAccess (admins) and inline policies; a role
// session's role policies.
StatusOr<std::vector<policy::NamedPolicy>> IdentityStore::LoadPolicies(const policy::CallerInfo& who) {
  std::vector<policy::NamedPolicy> out;
  std::string prefix, label;
  ASSIGN_OR_RETURN(auto txn, store_.BeginRead());
  std::string_view table = kUserPolicies;
  if (!who.caller.role_arn.empty()) {
    const std::string role = who.caller.role_arn.substr(who.caller.role_arn.find(":role/") + 6);
    prefix = UserKey(who.caller.account, role) + "/";
    label = "role/" + role + "/";
    table = "role_policies";
  } else {
    if (who.user_name.empty()) return out;
    ASSIGN_OR_RETURN(auto user, txn->Get(kUsers, UserKey(who.caller.account, who.user_name)));
    if (!user) return out;
    const json u = json::parse(*user, nullptr, false);
    if (!u.is_discarded() && u.value("admin", true)) {
      out.push_back({"AdministratorAccess", policy::AdministratorAccess()});
    }
    prefix = UserKey(who.caller.account, who.user_name) + "/";
    label = "user/" + who.user_name + "/";
  }
  RETURN_IF_ERROR(AddAttachedAndGroupPolicies(*txn, who, out));
  ASSIGN_OR_RETURN(auto entries, txn->Scan(table, prefix, "", 10000));
  for (const auto& e : entries) {
    const json j = json::parse(e.value, nullptr, false);
    if (j.is_discarded()) continue;
    auto parsed = policy::Parse(j.value("document", ""), {policy::PolicyKind::kIdentity, 131072});
    if (!parsed.ok()) continue;  // stored documents were checked on Put
    out.push_back({label + j.value("name", ""), std::make_shared<const policy::Policy>(std::move(*parsed))});
  }
  return out;
}

}  // namespace coffer::iam

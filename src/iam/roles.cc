// IAM roles: trust policy (who may assume the role) and inline role policies
// (what its sessions may do).
#include <algorithm>
#include <nlohmann/json.hpp>

#include "iam/identity_store.h"
#include "iam/inline_policies.h"

namespace coffer::iam {
namespace {

using nlohmann::json;

constexpr std::string_view kRoles = "roles";
constexpr std::string_view kRolePolicies = "role_policies";
constexpr std::string_view kBase32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

std::string RoleKey(std::string_view account_id, std::string_view name) {
  return std::string(account_id) + "/" + std::string(name);
}

Status NoSuchRole(std::string_view name) {
  return {ErrorCode::kNotFound, "The role with name " + std::string(name) + " cannot be found."};
}

Role RoleFromJson(const json& j) {
  return Role{j.value("account_id", ""), j.value("name", ""),         j.value("role_id", ""),
              j.value("arn", ""),        j.value("trust_policy", ""), j.value("created_ms", std::int64_t{0})};
}

bool ValidRoleName(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) ||
           std::string_view("+=,.@_-").find(c) != std::string_view::npos;
  });
}

}  // namespace

StatusOr<Role> IdentityStore::CreateRole(std::string_view account_id, std::string_view name,
                                         std::string_view trust_policy) {
  if (!ValidRoleName(name)) {
    return ValidationError(
        "1 validation error detected: Value '" + std::string(name.substr(0, 64)) +
        "' at 'roleName' failed to satisfy constraint: Member must satisfy regular expression "
        "pattern: [\\w+=,.@-]+");
  }
  RETURN_IF_ERROR(policy::Parse(trust_policy, {policy::PolicyKind::kTrust, 2048}).status());
  ASSIGN_OR_RETURN(auto txn, store_.BeginWrite());
  const std::string key = RoleKey(account_id, name);
  ASSIGN_OR_RETURN(auto existing, txn->Get(kRoles, key));
  if (existing)
    return Status(ErrorCode::kAlreadyExists, "Role with name " + std::string(name) + " already exists.");
  ASSIGN_OR_RETURN(std::string suffix, RandomString(kBase32, 17));
  Role role{
      std::string(account_id),   std::string(name),
      "AROA" + suffix,           "arn:aws:iam::" + std::string(account_id) + ":role/" + std::string(name),
      std::string(trust_policy), ToEpochMillis(clock_.Now())};
  const json record = {{"account_id", role.account_id},     {"name", role.name},
                       {"role_id", role.role_id},           {"arn", role.arn},
                       {"trust_policy", role.trust_policy}, {"created_ms", role.created_ms}};
  RETURN_IF_ERROR(txn->Put(kRoles, key, record.dump()));
  RETURN_IF_ERROR(txn->Commit());
  Changed();
  return role;
}

StatusOr<Role> IdentityStore::GetRole(std::string_view account_id, std::string_view name) {
  ASSIGN_OR_RETURN(auto txn, store_.BeginRead());
  ASSIGN_OR_RETURN(auto value, txn->Get(kRoles, RoleKey(account_id, name)));
  if (!value) return NoSuchRole(name);
  const json j = json::parse(*value, nullptr, false);
  if (j.is_discarded()) return InternalError("stored role is corrupt");
  return RoleFromJson(j);
}

Status IdentityStore::DeleteRole(std::string_view account_id, std::string_view name) {
  ASSIGN_OR_RETURN(auto txn, store_.BeginWrite());
  const std::string key = RoleKey(account_id, name);
  ASSIGN_OR_RETURN(auto value, txn->Get(kRoles, key));
  if (!value) return NoSuchRole(name);
  ASSIGN_OR_RETURN(auto policies, txn->Scan(kRolePolicies, key + "/", "", 1));
  if (!policies.empty()) {
    return {ErrorCode::kConflict, "Cannot delete entity, must delete policies first."};
  }
  RETURN_IF_ERROR(txn->Delete(kRoles, key));
  RETURN_IF_ERROR(txn->Commit());
  Changed();
  return Status::Ok();
}

Status IdentityStore::PutRolePolicy(std::string_view account_id, std::string_view role,
                                    std::string_view policy_name, std::string_view document) {
  RETURN_IF_ERROR(internal::PutInlinePolicy(store_, internal::kRoleTables, RoleKey(account_id, role),
                                            policy_name, document));
  Changed();
  return Status::Ok();
}

StatusOr<std::string> IdentityStore::GetRolePolicy(std::string_view account_id, std::string_view role,
                                                   std::string_view policy_name) {
  return internal::GetInlinePolicy(store_, internal::kRoleTables, RoleKey(account_id, role), policy_name);
}

Status IdentityStore::DeleteRolePolicy(std::string_view account_id, std::string_view role,
                                       std::string_view policy_name) {
  RETURN_IF_ERROR(
      internal::DeleteInlinePolicy(store_, internal::kRoleTables, RoleKey(account_id, role), policy_name));
  Changed();
  return Status::Ok();
}

StatusOr<std::vector<std::string>> IdentityStore::ListRolePolicies(std::string_view account_id,
                                                                   std::string_view role) {
  return internal::ListInlinePolicies(store_, internal::kRoleTables, RoleKey(account_id, role));
}

}  // namespace coffer::iam

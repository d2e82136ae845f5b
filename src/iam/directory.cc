// Managed policies (CreatePolicy, Attach*/Detach*), groups (CreateGroup,
// AddUserToGroup, PutGroupPolicy), tags (TagUser/TagRole) and deletions
// (DeleteUser, DeleteAccessKey).
#include <nlohmann/json.hpp>

#include "iam/identity_store.h"
#include "iam/inline_policies.h"

namespace coffer::iam {
namespace {

using nlohmann::json;

constexpr std::string_view kManaged = "managed_policies";
constexpr std::string_view kAttached = "attached_policies";  // <kind>/<account>/<owner>/<policy arn>
constexpr std::string_view kGroups = "groups";
constexpr std::string_view kMembers = "group_members";  // <account>/<user>/<group>
constexpr std::string_view kTags = "entity_tags";       // <kind>/<account>/<owner>
constexpr std::string_view kAdminArn = "arn:aws:iam::aws:policy/AdministratorAccess";
constexpr std::string_view kBase32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
constexpr internal::InlinePolicyTables kGroupTables{"groups", "group_policies", "group", 5120};

std::string Key(std::string_view a, std::string_view b) { return std::string(a) + "/" + std::string(b); }

Status NoSuch(std::string_view kind, std::string_view name) {
  return {ErrorCode::kNotFound,
          "The " + std::string(kind) + " with name " + std::string(name) + " cannot be found."};
}

Status Conflict(std::string message) { return {ErrorCode::kConflict, std::move(message)}; }

StatusOr<bool> Exists(store::Txn& txn, std::string_view table, const std::string& key) {
  ASSIGN_OR_RETURN(auto v, txn.Get(table, key));
  return v.has_value();
}

std::string_view OwnerTable(std::string_view kind) { return kind == "role" ? "roles" : "users"; }

// arn:aws:iam::<account>:policy/<name> -> "<account>/<name>"
std::optional<std::string> ManagedKey(std::string_view arn) {
  constexpr std::string_view kPrefix = "arn:aws:iam::";
  if (!arn.starts_with(kPrefix) || arn.size() < kPrefix.size() + 21) return std::nullopt;
  const std::string_view rest = arn.substr(kPrefix.size());
  if (rest.substr(12, 8) != ":policy/") return std::nullopt;
  return Key(rest.substr(0, 12), rest.substr(20));
}

StatusOr<std::shared_ptr<const policy::Policy>> ResolveManaged(store::Txn& txn, std::string_view arn) {
  if (arn == kAdminArn) return policy::AdministratorAccess();
  auto key = ManagedKey(arn);
  if (!key) return Status(ErrorCode::kNotFound, "Policy " + std::string(arn) + " does not exist.");
  ASSIGN_OR_RETURN(auto value, txn.Get(kManaged, *key));
  if (!value) return Status(ErrorCode::kNotFound, "Policy " + std::string(arn) + " does not exist.");
  const json j = json::parse(*value, nullptr, false);
  if (j.is_discarded()) return InternalError("stored managed policy is corrupt");
  ASSIGN_OR_RETURN(policy::Policy p,
                   policy::Parse(j.value("document", ""), {policy::PolicyKind::kIdentity, 131072}));
  return std::shared_ptr<const policy::Policy>(std::make_shared<const policy::Policy>(std::move(p)));
}

}  // namespace

StatusOr<ManagedPolicy> IdentityStore::CreatePolicy(std::string_view account_id, std::string_view name,
                                                    std::string_view document) {
  if (name.empty() || name.size() > 128) return ValidationError("invalid policy name");
  RETURN_IF_ERROR(policy::Parse(document, {policy::PolicyKind::kIdentity, 6144}).status());
  ASSIGN_OR_RETURN(auto txn, store_.BeginWrite());
  ASSIGN_OR_RETURN(bool exists, Exists(*txn, kManaged, Key(account_id, name)));
  if (exists) {
    return Status(ErrorCode::kAlreadyExists, "A policy called " + std::string(name) + " already exists.");
  }
  ASSIGN_OR_RETURN(std::string suffix, RandomString(kBase32, 17));
  ManagedPolicy p{std::string(name), "ANPA" + suffix,
                  "arn:aws:iam::" + std::string(account_id) + ":policy/" + std::string(name),
                  ToEpochMillis(clock_.Now())};
  const json record = {{"name", p.name},
                       {"policy_id", p.policy_id},
                       {"arn", p.arn},
                       {"document", document},
                       {"created_ms", p.created_ms}};
  RETURN_IF_ERROR(txn->Put(kManaged, Key(account_id, name), record.dump()));
  RETURN_IF_ERROR(txn->Commit());
  return p;
}

Status IdentityStore::AttachPolicy(std::string_view kind, std::string_view account_id, std::string_view owner,
                                   std::string_view policy_arn) {
  ASSIGN_OR_RETURN(auto txn, store_.BeginWrite());
  ASSIGN_OR_RETURN(bool owner_exists, Exists(*txn, OwnerTable(kind), Key(account_id, owner)));
  if (!owner_exists) return NoSuch(kind, owner);
  RETURN_IF_ERROR(ResolveManaged(*txn, policy_arn).status());
  const std::string key = Key(Key(kind, Key(account_id, owner)), policy_arn);
  RETURN_IF_ERROR(txn->Put(kAttached, key, json{{"arn", policy_arn}}.dump()));
  RETURN_IF_ERROR(txn->Commit());
  Changed();
  return Status::Ok();
}

Status IdentityStore::DetachPolicy(std::string_view kind, std::string_view account_id, std::string_view owner,
                                   std::string_view policy_arn) {
  ASSIGN_OR_RETURN(auto txn, store_.BeginWrite());
  const std::string key = Key(Key(kind, Key(account_id, owner)), policy_arn);
  ASSIGN_OR_RETURN(bool attached, Exists(*txn, kAttached, key));
  if (!attached) {
    return Status(ErrorCode::kNotFound, "Policy " + std::string(policy_arn) + " was not found.");
  }
  RETURN_IF_ERROR(txn->Delete(kAttached, key));
  RETURN_IF_ERROR(txn->Commit());
  Changed();
  return Status::Ok();
}

StatusOr<std::vector<std::string>> IdentityStore::ListAttachedPolicies(std::string_view kind,
                                                                       std::string_view account_id,
                                                                       std::string_view owner) {
  ASSIGN_OR_RETURN(auto txn, store_.BeginRead());
  ASSIGN_OR_RETURN(bool owner_exists, Exists(*txn, OwnerTable(kind), Key(account_id, owner)));
  if (!owner_exists) return NoSuch(kind, owner);
  ASSIGN_OR_RETURN(auto entries, txn->Scan(kAttached, Key(kind, Key(account_id, owner)) + "/", "", 10000));
  std::vector<std::string> out;
  for (const auto& e : entries) {
    const json j = json::parse(e.value, nullptr, false);
    if (!j.is_discarded()) out.push_back(j.value("arn", ""));
  }
  return out;
}

StatusOr<std::string> IdentityStore::CreateGroup(std::string_view account_id, std::string_view name) {
  if (name.empty() || name.size() > 128) return ValidationError("invalid group name");
  ASSIGN_OR_RETURN(auto txn, store_.BeginWrite());
  ASSIGN_OR_RETURN(bool exists, Exists(*txn, kGroups, Key(account_id, name)));
  if (exists)
    return Status(ErrorCode::kAlreadyExists, "Group with name " + std::string(name) + " already exists.");
  ASSIGN_OR_RETURN(std::string suffix, RandomString(kBase32, 17));
  const std::string group_id = "AGPA" + suffix;
  RETURN_IF_ERROR(
      txn->Put(kGroups, Key(account_id, name), json{{"name", name}, {"group_id", group_id}}.dump()));
  RETURN_IF_ERROR(txn->Commit());
  return group_id;
}

Status IdentityStore::AddUserToGroup(std::string_view account_id, std::string_view group,
                                     std::string_view user) {
  ASSIGN_OR_RETURN(auto txn, store_.BeginWrite());
  ASSIGN_OR_RETURN(bool group_exists, Exists(*txn, kGroups, Key(account_id, group)));
  if (!group_exists) return NoSuch("group", group);
  ASSIGN_OR_RETURN(bool user_exists, Exists(*txn, "users", Key(account_id, user)));
  if (!user_exists) return NoSuch("user", user);
  RETURN_IF_ERROR(txn->Put(kMembers, Key(Key(account_id, user), group), json{{"group", group}}.dump()));
  RETURN_IF_ERROR(txn->Commit());
  Changed();
  return Status::Ok();
}

Status IdentityStore::PutGroupPolicy(std::string_view account_id, std::string_view group,
                                     std::string_view policy_name, std::string_view document) {
  RETURN_IF_ERROR(
      internal::PutInlinePolicy(store_, kGroupTables, Key(account_id, group), policy_name, document));
  Changed();
  return Status::Ok();
}

Status IdentityStore::TagEntity(std::string_view kind, std::string_view account_id, std::string_view owner,
                                const std::map<std::string, std::string>& tags) {
  ASSIGN_OR_RETURN(auto txn, store_.BeginWrite());
  ASSIGN_OR_RETURN(bool exists, Exists(*txn, OwnerTable(kind), Key(account_id, owner)));
  if (!exists) return NoSuch(kind, owner);
  const std::string key = Key(kind, Key(account_id, owner));
  ASSIGN_OR_RETURN(auto value, txn->Get(kTags, key));
  json merged = value ? json::parse(*value, nullptr, false) : json::object();
  if (merged.is_discarded() || !merged.is_object()) merged = json::object();
  for (const auto& [k, v] : tags) merged[k] = v;
  if (merged.size() > 50)
    return Status(ErrorCode::kLimitExceeded, "Cannot exceed quota for TagsPerEntity: 50");
  RETURN_IF_ERROR(txn->Put(kTags, key, merged.dump()));
  return txn->Commit();
}

Status IdentityStore::DeleteUser(std::string_view account_id, std::string_view name) {
  ASSIGN_OR_RETURN(auto keys, ListAccessKeys(account_id, name));
  ASSIGN_OR_RETURN(auto txn, store_.BeginWrite());
  const std::string key = Key(account_id, name);
  ASSIGN_OR_RETURN(bool exists, Exists(*txn, "users", key));
  if (!exists) return NoSuch("user", name);
  ASSIGN_OR_RETURN(auto inline_policies, txn->Scan("user_policies", key + "/", "", 1));
  ASSIGN_OR_RETURN(auto attached, txn->Scan(kAttached, Key("user", key) + "/", "", 1));
  ASSIGN_OR_RETURN(auto groups, txn->Scan(kMembers, key + "/", "", 1));
  if (!keys.empty() || !inline_policies.empty() || !attached.empty() || !groups.empty()) {
    return Conflict("Cannot delete entity, must delete access keys, policies and group memberships first.");
  }
  RETURN_IF_ERROR(txn->Delete("users", key));
  RETURN_IF_ERROR(txn->Delete(kTags, Key("user", key)));
  RETURN_IF_ERROR(txn->Commit());
  Changed();
  return Status::Ok();
}

Status IdentityStore::DeleteAccessKey(std::string_view account_id, std::string_view access_key_id) {
  ASSIGN_OR_RETURN(auto txn, store_.BeginWrite());
  ASSIGN_OR_RETURN(auto value, txn->Get("access_keys", access_key_id));
  const json j = value ? json::parse(*value, nullptr, false) : json();
  if (!value || j.is_discarded() || j.value("account_id", "") != account_id) {
    return Status(ErrorCode::kNotFound,
                  "The Access Key with id " + std::string(access_key_id) + " cannot be found.");
  }
  RETURN_IF_ERROR(txn->Delete("access_keys", access_key_id));
  RETURN_IF_ERROR(txn->Commit());
  Changed();
  return Status::Ok();
}

Status IdentityStore::AddAttachedAndGroupPolicies(store::Txn& txn, const policy::CallerInfo& who,
                                                  std::vector<policy::NamedPolicy>& out) {
  const bool role = !who.caller.role_arn.empty();
  const std::string owner =
      role ? who.caller.role_arn.substr(who.caller.role_arn.find(":role/") + 6) : who.user_name;
  const std::string owner_key = Key(who.caller.account, owner);
  ASSIGN_OR_RETURN(auto attached,
                   txn.Scan(kAttached, Key(role ? "role" : "user", owner_key) + "/", "", 10000));
  for (const auto& e : attached) {
    const json j = json::parse(e.value, nullptr, false);
    if (j.is_discarded()) continue;
    auto resolved = ResolveManaged(txn, j.value("arn", ""));
    if (resolved.ok()) out.push_back({j.value("arn", ""), *resolved});
  }
  if (role) return Status::Ok();
  ASSIGN_OR_RETURN(auto groups, txn.Scan(kMembers, owner_key + "/", "", 1000));
  for (const auto& g : groups) {
    const json m = json::parse(g.value, nullptr, false);
    if (m.is_discarded()) continue;
    const std::string group = m.value("group", "");
    ASSIGN_OR_RETURN(auto entries,
                     txn.Scan(kGroupTables.policies, Key(who.caller.account, group) + "/", "", 1000));
    for (const auto& e : entries) {
      const json p = json::parse(e.value, nullptr, false);
      if (p.is_discarded()) continue;
      auto parsed = policy::Parse(p.value("document", ""), {policy::PolicyKind::kIdentity, 131072});
      if (parsed.ok()) {
        out.push_back({"group/" + group + "/" + p.value("name", ""),
                       std::make_shared<const policy::Policy>(std::move(*parsed))});
      }
    }
  }
  return Status::Ok();
}

}  // namespace coffer::iam

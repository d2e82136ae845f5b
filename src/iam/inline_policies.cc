#include "iam/inline_policies.h"

#include <cctype>
#include <nlohmann/json.hpp>

#include "policy/policy.h"

namespace coffer::iam::internal {
namespace {

using nlohmann::json;

std::size_t NonWhitespace(std::string_view text) {
  std::size_t n = 0;
  for (char c : text) n += !std::isspace(static_cast<unsigned char>(c));
  return n;
}

std::string OwnerName(const std::string& owner) { return owner.substr(owner.find('/') + 1); }

Status NoSuchOwner(const InlinePolicyTables& t, const std::string& owner) {
  return {ErrorCode::kNotFound,
          "The " + std::string(t.kind) + " with name " + OwnerName(owner) + " cannot be found."};
}

Status NoSuchPolicy(const InlinePolicyTables& t, std::string_view name) {
  return {ErrorCode::kNotFound,
          "The " + std::string(t.kind) + " policy with name " + std::string(name) + " cannot be found."};
}

Status CheckOwner(store::Txn& txn, const InlinePolicyTables& t, const std::string& owner) {
  ASSIGN_OR_RETURN(auto value, txn.Get(t.owners, owner));
  return value ? Status::Ok() : NoSuchOwner(t, owner);
}

std::string PolicyKey(const std::string& owner, std::string_view name) {
  return owner + "/" + std::string(name);
}

}  // namespace

Status PutInlinePolicy(store::Store& store, const InlinePolicyTables& t, const std::string& owner,
                       std::string_view name, std::string_view document) {
  if (NonWhitespace(document) > t.max_bytes) {
    return {ErrorCode::kLimitExceeded, "Maximum policy size of " + std::to_string(t.max_bytes) +
                                           " bytes exceeded for " + std::string(t.kind) + " " +
                                           OwnerName(owner)};
  }
  RETURN_IF_ERROR(policy::Parse(document, {policy::PolicyKind::kIdentity, 131072}).status());
  ASSIGN_OR_RETURN(auto txn, store.BeginWrite());
  RETURN_IF_ERROR(CheckOwner(*txn, t, owner));
  const json record = {{"name", name}, {"document", document}};
  RETURN_IF_ERROR(txn->Put(t.policies, PolicyKey(owner, name), record.dump()));
  return txn->Commit();
}

StatusOr<std::string> GetInlinePolicy(store::Store& store, const InlinePolicyTables& t,
                                      const std::string& owner, std::string_view name) {
  ASSIGN_OR_RETURN(auto txn, store.BeginRead());
  ASSIGN_OR_RETURN(auto value, txn->Get(t.policies, PolicyKey(owner, name)));
  if (!value) return NoSuchPolicy(t, name);
  const json j = json::parse(*value, nullptr, false);
  if (j.is_discarded()) return InternalError("stored inline policy is corrupt");
  return j.value("document", "");
}

Status DeleteInlinePolicy(store::Store& store, const InlinePolicyTables& t, const std::string& owner,
                          std::string_view name) {
  ASSIGN_OR_RETURN(auto txn, store.BeginWrite());
  ASSIGN_OR_RETURN(auto value, txn->Get(t.policies, PolicyKey(owner, name)));
  if (!value) return NoSuchPolicy(t, name);
  RETURN_IF_ERROR(txn->Delete(t.policies, PolicyKey(owner, name)));
  return txn->Commit();
}

StatusOr<std::vector<std::string>> ListInlinePolicies(store::Store& store, const InlinePolicyTables& t,
                                                      const std::string& owner) {
  ASSIGN_OR_RETURN(auto txn, store.BeginRead());
  RETURN_IF_ERROR(CheckOwner(*txn, t, owner));
  ASSIGN_OR_RETURN(auto entries, txn->Scan(t.policies, owner + "/", "", 10000));
  std::vector<std::string> out;
  for (const auto& e : entries) {
    const json j = json::parse(e.value, nullptr, false);
    if (!j.is_discarded()) out.push_back(j.value("name", ""));
  }
  return out;
}

}  // namespace coffer::iam::internal

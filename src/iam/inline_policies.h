// Inline policies of users and roles: one implementation over two pairs of
// tables ("users"/"user_policies", "roles"/"role_policies"). Internal to src/iam/.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/status_or.h"
#include "store/store.h"

namespace coffer::iam::internal {

struct InlinePolicyTables {
  std::string_view owners;    // "users" | "roles"
  std::string_view policies;  // "user_policies" | "role_policies"
  std::string_view kind;      // "user" | "role", for IAM's NoSuchEntity messages
  std::size_t max_bytes;      // IAM's quota (non-whitespace characters)
};

inline constexpr InlinePolicyTables kUserTables{"users", "user_policies", "user", 2048};
inline constexpr InlinePolicyTables kRoleTables{"roles", "role_policies", "role", 10240};

// `owner` is "<account>/<name>". Put parses the document as an identity policy.
Status PutInlinePolicy(store::Store& store, const InlinePolicyTables& t, const std::string& owner,
                       std::string_view name, std::string_view document);
StatusOr<std::string> GetInlinePolicy(store::Store& store, const InlinePolicyTables& t,
                                      const std::string& owner, std::string_view name);
Status DeleteInlinePolicy(store::Store& store, const InlinePolicyTables& t, const std::string& owner,
                          std::string_view name);
StatusOr<std::vector<std::string>> ListInlinePolicies(store::Store& store, const InlinePolicyTables& t,
                                                      const std::string& owner);

}  // namespace coffer::iam::internal

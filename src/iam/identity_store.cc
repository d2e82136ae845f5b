#include "iam/identity_store.h"

#include <mutex>
#include <nlohmann/json.hpp>

#include "common/encoding.h"

namespace coffer::iam {
namespace {

using nlohmann::json;

constexpr std::string_view kAccounts = "accounts";
constexpr std::string_view kUsers = "users";
constexpr std::string_view kAccessKeys = kAccessKeysTable;
constexpr std::string_view kBase32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
constexpr std::string_view kDigits = "0123456789";
constexpr std::string_view kSecretAlphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

std::string UserKey(std::string_view account_id, std::string_view user_name) {
  return std::string(account_id) + "/" + std::string(user_name);
}

std::string SecretAad(std::string_view access_key_id) {
  return "coffer:access-key:" + std::string(access_key_id);
}

StatusOr<json> ParseRecord(const std::string& text) {
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return InternalError("stored identity record is corrupt");
  return j;
}

User UserFromJson(const json& j) {
  // Users stored before issue 4 had no "admin" field; they could do
  // everything in their account, and keep that.
  return User{j.value("account_id", ""),
              j.value("name", ""),
              j.value("user_id", ""),
              j.value("arn", ""),
              j.value("created_ms", std::int64_t{0}),
              j.value("admin", true)};
}

bool ValidUserName(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  for (char c : name) {
    const bool ok = std::isalnum(static_cast<unsigned char>(c)) ||
                    std::string_view("+=,.@_-").find(c) != std::string_view::npos;
    if (!ok) return false;
  }
  return true;
}

}  // namespace

std::string AccessKeySecretAad(std::string_view access_key_id) { return SecretAad(access_key_id); }

IdentityStore::IdentityStore(store::Store& store, const rootkey::RootKey& root_key, RandomSource& random,
                             const Clock& clock)
    : store_(store), root_key_(root_key), random_(random), clock_(clock) {}

StatusOr<std::string> IdentityStore::RandomString(std::string_view alphabet, std::size_t len) {
  Bytes raw(len);
  RETURN_IF_ERROR(random_.Fill(raw));
  std::string out(len, '\0');
  // Rejection-free mapping is biased unless the alphabet divides 256; every
  // alphabet used here has 10, 32 or 64 symbols, and 10 only for account ids.
  for (std::size_t i = 0; i < len; ++i) out[i] = alphabet[raw[i] % alphabet.size()];
  return out;
}

StatusOr<Account> IdentityStore::CreateAccount(std::string_view name) {
  ASSIGN_OR_RETURN(auto txn, store_.BeginWrite());
  for (int attempt = 0; attempt < 8; ++attempt) {
    ASSIGN_OR_RETURN(std::string id, RandomString(kDigits, 12));
    if (id[0] == '0') continue;
    ASSIGN_OR_RETURN(auto existing, txn->Get(kAccounts, id));
    if (existing) continue;
    Account account{id, std::string(name), ToEpochMillis(clock_.Now())};
    const json record = {{"id", account.id}, {"name", account.name}, {"created_ms", account.created_ms}};
    RETURN_IF_ERROR(txn->Put(kAccounts, id, record.dump()));
    RETURN_IF_ERROR(txn->Commit());
    return account;
  }
  return InternalError("could not allocate an account id");
}

StatusOr<User> IdentityStore::CreateUser(std::string_view account_id, std::string_view user_name,
                                         bool admin) {
  if (!ValidUserName(user_name)) return ValidationError("invalid user name");
  ASSIGN_OR_RETURN(auto txn, store_.BeginWrite());
  ASSIGN_OR_RETURN(auto account, txn->Get(kAccounts, account_id));
  if (!account) return NotFoundError("account " + std::string(account_id) + " does not exist");
  const std::string key = UserKey(account_id, user_name);
  ASSIGN_OR_RETURN(auto existing, txn->Get(kUsers, key));
  if (existing)
    return Status(ErrorCode::kAlreadyExists, "user " + std::string(user_name) + " already exists");
  ASSIGN_OR_RETURN(std::string suffix, RandomString(kBase32, 17));
  User user{std::string(account_id),
            std::string(user_name),
            "AIDA" + suffix,
            "arn:aws:iam::" + std::string(account_id) + ":user/" + std::string(user_name),
            ToEpochMillis(clock_.Now()),
            admin};
  const json record = {{"admin", user.admin}, {"account_id", user.account_id},
                       {"name", user.name},   {"user_id", user.user_id},
                       {"arn", user.arn},     {"created_ms", user.created_ms}};
  RETURN_IF_ERROR(txn->Put(kUsers, key, record.dump()));
  RETURN_IF_ERROR(txn->Commit());
  return user;
}

StatusOr<NewAccessKey> IdentityStore::CreateAccessKey(std::string_view account_id,
                                                      std::string_view user_name) {
  ASSIGN_OR_RETURN(auto txn, store_.BeginWrite());
  ASSIGN_OR_RETURN(auto user, txn->Get(kUsers, UserKey(account_id, user_name)));
  if (!user) return NotFoundError("user " + std::string(user_name) + " does not exist");
  ASSIGN_OR_RETURN(std::string suffix, RandomString(kBase32, 16));
  ASSIGN_OR_RETURN(std::string secret, RandomString(kSecretAlphabet, 40));
  NewAccessKey out{AccessKey{"AKIA" + suffix, std::string(account_id), std::string(user_name), "Active",
                             ToEpochMillis(clock_.Now())},
                   std::move(secret)};
  ASSIGN_OR_RETURN(Bytes wrapped,
                   root_key_.Wrap(AsBytes(out.secret_access_key), SecretAad(out.key.access_key_id)));
  const json record = {{"access_key_id", out.key.access_key_id}, {"account_id", out.key.account_id},
                       {"user_name", out.key.user_name},         {"status", out.key.status},
                       {"created_ms", out.key.created_ms},       {"wrapped_secret", Base64Encode(wrapped)}};
  RETURN_IF_ERROR(txn->Put(kAccessKeys, out.key.access_key_id, record.dump()));
  RETURN_IF_ERROR(txn->Commit());
  return out;
}

StatusOr<std::vector<Account>> IdentityStore::ListAccounts() {
  ASSIGN_OR_RETURN(auto txn, store_.BeginRead());
  ASSIGN_OR_RETURN(auto entries, txn->Scan(kAccounts, "", "", 100000));
  std::vector<Account> out;
  for (const auto& e : entries) {
    ASSIGN_OR_RETURN(json j, ParseRecord(e.value));
    out.push_back({j.value("id", ""), j.value("name", ""), j.value("created_ms", std::int64_t{0})});
  }
  return out;
}

StatusOr<std::vector<User>> IdentityStore::ListUsers(std::string_view account_id) {
  ASSIGN_OR_RETURN(auto txn, store_.BeginRead());
  ASSIGN_OR_RETURN(auto entries, txn->Scan(kUsers, std::string(account_id) + "/", "", 100000));
  std::vector<User> out;
  for (const auto& e : entries) {
    ASSIGN_OR_RETURN(json j, ParseRecord(e.value));
    out.push_back(UserFromJson(j));
  }
  return out;
}

StatusOr<std::vector<AccessKey>> IdentityStore::ListAccessKeys(std::string_view account_id,
                                                               std::string_view user_name) {
  ASSIGN_OR_RETURN(auto txn, store_.BeginRead());
  ASSIGN_OR_RETURN(auto entries, txn->Scan(kAccessKeys, "", "", 1000000));
  std::vector<AccessKey> out;
  for (const auto& e : entries) {
    ASSIGN_OR_RETURN(json j, ParseRecord(e.value));
    if (j.value("account_id", "") != account_id || j.value("user_name", "") != user_name) continue;
    out.push_back({j.value("access_key_id", ""), j.value("account_id", ""), j.value("user_name", ""),
                   j.value("status", ""), j.value("created_ms", std::int64_t{0})});
  }
  return out;
}

StatusOr<AccessKey> IdentityStore::LoadAccessKey(std::string_view access_key_id, std::string* out_wrapped) {
  ASSIGN_OR_RETURN(auto txn, store_.BeginRead());
  ASSIGN_OR_RETURN(auto value, txn->Get(kAccessKeys, access_key_id));
  if (!value) return Status(ErrorCode::kUnrecognizedClient, "unknown access key");
  ASSIGN_OR_RETURN(json j, ParseRecord(*value));
  AccessKey key{j.value("access_key_id", ""), j.value("account_id", ""), j.value("user_name", ""),
                j.value("status", ""), j.value("created_ms", std::int64_t{0})};
  if (key.status != "Active") return Status(ErrorCode::kUnrecognizedClient, "inactive access key");
  if (out_wrapped != nullptr) *out_wrapped = j.value("wrapped_secret", "");
  return key;
}

StatusOr<Principal> IdentityStore::PrincipalFor(std::string_view access_key_id) {
  ASSIGN_OR_RETURN(std::shared_ptr<const Principal> principal, SharedPrincipalFor(access_key_id));
  return *principal;
}

StatusOr<std::shared_ptr<const Principal>> IdentityStore::SharedPrincipalFor(std::string_view access_key_id) {
  {
    std::shared_lock lock(mu_);
    auto it = principals_.find(access_key_id);
    if (it != principals_.end()) return it->second;
  }
  ASSIGN_OR_RETURN(AccessKey key, LoadAccessKey(access_key_id, nullptr));
  ASSIGN_OR_RETURN(auto txn, store_.BeginRead());
  ASSIGN_OR_RETURN(auto value, txn->Get(kUsers, UserKey(key.account_id, key.user_name)));
  if (!value) return Status(ErrorCode::kUnrecognizedClient, "access key has no user");
  ASSIGN_OR_RETURN(json j, ParseRecord(*value));
  const User user = UserFromJson(j);
  auto principal = std::make_shared<const Principal>(
      Principal{user.account_id, user.name, user.user_id, user.arn, key.access_key_id, user.admin});
  std::unique_lock lock(mu_);
  principals_.emplace(key.access_key_id, principal);
  return principal;
}

StatusOr<SecretBytes> IdentityStore::SecretKeyFor(std::string_view access_key_id) {
  if (access_key_id.starts_with("ASIA")) return SessionSecret(access_key_id);
  std::string wrapped_b64;
  ASSIGN_OR_RETURN(AccessKey key, LoadAccessKey(access_key_id, &wrapped_b64));
  auto wrapped = Base64Decode(wrapped_b64);
  if (!wrapped) return InternalError("stored access key secret is corrupt");
  return root_key_.Unwrap(*wrapped, SecretAad(key.access_key_id));
}

}  // namespace coffer::iam

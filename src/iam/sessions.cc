// Temporary credentials (AssumeRole, GetSessionToken): an ASIA... access key
// id, a secret and a session token, both stored only wrapped under the root
// key, and an expiry enforced with the injected Clock on every request.
#include <nlohmann/json.hpp>

#include "common/encoding.h"
#include "iam/identity_store.h"

namespace coffer::iam {
namespace {

using nlohmann::json;

constexpr std::string_view kSessions = kSessionsTable;
constexpr std::string_view kBase32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
constexpr std::string_view kSecretAlphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

std::string SecretAad(std::string_view id) { return "coffer:session-secret:" + std::string(id); }
std::string TokenAad(std::string_view id) { return "coffer:session-token:" + std::string(id); }

// AWS's words for temporary credentials past their expiry (ExpiredTokenException
// on JSON services, ExpiredToken on IAM/STS).
Status Expired() {
  return {ErrorCode::kExpiredToken, "The security token included in the request is expired"};
}
Status InvalidToken() {
  return {ErrorCode::kUnrecognizedClient, "The security token included in the request is invalid."};
}

json EncodePrincipal(const Principal& p) {
  return {{"account_id", p.account_id}, {"user_name", p.user_name}, {"user_id", p.user_id},    {"arn", p.arn},
          {"admin", p.admin},           {"role_arn", p.role_arn},   {"role_name", p.role_name}};
}

StatusOr<json> LoadSession(store::Store& store, std::string_view access_key_id) {
  ASSIGN_OR_RETURN(auto txn, store.BeginRead());
  ASSIGN_OR_RETURN(auto value, txn->Get(kSessions, access_key_id));
  if (!value) return Status(ErrorCode::kUnrecognizedClient, "unknown access key");
  json j = json::parse(*value, nullptr, false);
  if (j.is_discarded()) return InternalError("stored session is corrupt");
  return j;
}

Principal DecodePrincipal(const json& j) {
  Principal p;
  p.account_id = j.value("account_id", "");
  p.user_name = j.value("user_name", "");
  p.user_id = j.value("user_id", "");
  p.arn = j.value("arn", "");
  p.admin = j.value("admin", false);
  p.role_arn = j.value("role_arn", "");
  p.role_name = j.value("role_name", "");
  return p;
}

}  // namespace

std::string SessionSecretAad(std::string_view access_key_id) { return SecretAad(access_key_id); }
std::string SessionTokenAad(std::string_view access_key_id) { return TokenAad(access_key_id); }

StatusOr<SessionCredentials> IdentityStore::NewSession(const Principal& acting_as, std::int64_t duration_s) {
  SessionCredentials out;
  ASSIGN_OR_RETURN(std::string suffix, RandomString(kBase32, 16));
  ASSIGN_OR_RETURN(out.secret_access_key, RandomString(kSecretAlphabet, 40));
  ASSIGN_OR_RETURN(out.session_token, RandomString(kSecretAlphabet, 96));
  out.access_key_id = "ASIA" + suffix;
  out.expires_ms = ToEpochMillis(clock_.Now()) + duration_s * 1000;
  out.principal = acting_as;
  out.principal.access_key_id = out.access_key_id;
  out.principal.expires_ms = out.expires_ms;
  ASSIGN_OR_RETURN(Bytes secret,
                   root_key_.Wrap(AsBytes(out.secret_access_key), SecretAad(out.access_key_id)));
  ASSIGN_OR_RETURN(Bytes token, root_key_.Wrap(AsBytes(out.session_token), TokenAad(out.access_key_id)));
  const json record = {{"principal", EncodePrincipal(acting_as)},
                       {"expires_ms", out.expires_ms},
                       {"wrapped_secret", Base64Encode(secret)},
                       {"wrapped_token", Base64Encode(token)}};
  ASSIGN_OR_RETURN(auto txn, store_.BeginWrite());
  RETURN_IF_ERROR(txn->Put(kSessions, out.access_key_id, record.dump()));
  RETURN_IF_ERROR(txn->Commit());
  return out;
}

// The secret of a stored session, expired or not: expiry is enforced by
// PrincipalForRequest once the signature (and so possession of the secret)
// has been proven, so only the session's holder learns that it has expired.
StatusOr<SecretBytes> IdentityStore::SessionSecret(std::string_view access_key_id) {
  ASSIGN_OR_RETURN(const json j, LoadSession(store_, access_key_id));
  auto wrapped = Base64Decode(j.value("wrapped_secret", ""));
  if (!wrapped) return InternalError("stored session secret is corrupt");
  return root_key_.Unwrap(*wrapped, SecretAad(access_key_id));
}

StatusOr<Principal> IdentityStore::PrincipalForRequest(std::string_view access_key_id,
                                                       std::string_view session_token) {
  ASSIGN_OR_RETURN(std::shared_ptr<const Principal> principal,
                   SharedPrincipalForRequest(access_key_id, session_token));
  return *principal;
}

StatusOr<std::shared_ptr<const Principal>> IdentityStore::SharedPrincipalForRequest(
    std::string_view access_key_id, std::string_view session_token) {
  if (!access_key_id.starts_with("ASIA")) {
    if (!session_token.empty()) return InvalidToken();
    return SharedPrincipalFor(access_key_id);
  }
  if (session_token.empty()) return InvalidToken();
  ASSIGN_OR_RETURN(const json j, LoadSession(store_, access_key_id));
  auto wrapped = Base64Decode(j.value("wrapped_token", ""));
  if (!wrapped) return InternalError("stored session token is corrupt");
  ASSIGN_OR_RETURN(SecretBytes token, root_key_.Unwrap(*wrapped, TokenAad(access_key_id)));
  if (!ConstantTimeEquals(token.view(), AsBytes(session_token))) return InvalidToken();
  const std::int64_t expires = j.value("expires_ms", std::int64_t{0});
  if (expires <= ToEpochMillis(clock_.Now())) return Expired();
  Principal p = DecodePrincipal(j.value("principal", json::object()));
  p.access_key_id = std::string(access_key_id);
  p.expires_ms = expires;
  return std::make_shared<const Principal>(std::move(p));
}

}  // namespace coffer::iam

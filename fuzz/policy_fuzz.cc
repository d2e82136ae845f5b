// libFuzzer target: arbitrary bytes as an IAM policy document. The first byte
// picks the policy kind. Parsing must return a policy or a
// MalformedPolicyDocument status, never crash, hang or throw; a parsed policy
// is then evaluated against a request carrying every kind of context key.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "policy/policy.h"

namespace {

const coffer::policy::Request& FixedRequest() {
  static const coffer::policy::Request* const request = [] {
    auto* r = new coffer::policy::Request;
    r->caller = {"arn:aws:sts::111122223333:assumed-role/app/s", "arn:aws:iam::111122223333:role/app",
                 "111122223333", "", false};
    r->action = "kms:Encrypt";
    r->resource = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";
    r->keys.Set("aws:SourceIp", "192.0.2.10");
    r->keys.Set("aws:SecureTransport", "true");
    r->keys.Set("aws:CurrentTime", "2026-12-01T18:00:00Z");
    r->keys.Set("aws:EpochTime", "1796148000");
    r->keys.Set("aws:username", "alice");
    r->keys.Set("aws:PrincipalArn", "arn:aws:iam::111122223333:role/app");
    r->keys.Set("kms:EncryptionContext:dept", "finance");
    r->keys.SetMulti("kms:EncryptionContextKeys", {"dept", "app"});
    r->keys.SetMulti("aws:TagKeys", {});
    return r;
  }();
  return *request;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  constexpr coffer::policy::PolicyKind kKinds[] = {
      coffer::policy::PolicyKind::kIdentity, coffer::policy::PolicyKind::kResource,
      coffer::policy::PolicyKind::kTrust, coffer::policy::PolicyKind::kAny};
  const auto kind = kKinds[data[0] % 4];
  const std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  auto parsed = coffer::policy::Parse(text, {kind, 32768});
  if (!parsed.ok()) {
    if (parsed.status().code() != coffer::ErrorCode::kMalformedPolicyDocument) __builtin_trap();
    return 0;
  }
  if (parsed->statements.empty()) __builtin_trap();
  const auto eval = coffer::policy::Evaluate(*parsed, FixedRequest(),
                                             kind != coffer::policy::PolicyKind::kIdentity, "fuzz");
  if (eval.decision != coffer::policy::Decision::kImplicitDeny && eval.matched.empty()) __builtin_trap();
  return 0;
}

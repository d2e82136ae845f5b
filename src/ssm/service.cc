#include "ssm/service.h"

#include <chrono>
#include <unordered_map>

#include "common/encoding.h"
#include "policy/global_keys.h"
#include "policy/policy.h"
#include "ssm/envelope.h"
#include "ssm/errors.h"
#include "ssm/names.h"

namespace coffer::ssm {
namespace {

using Handler = StatusOr<Json> (ParameterStore::*)(const Caller&, const Json&);

constexpr std::string_view kDefaultKey = "alias/aws/ssm";

std::string_view KeyOrDefault(std::string_view key_id) { return key_id.empty() ? kDefaultKey : key_id; }

// KMS's AccessDenied stays as it is; a missing, disabled or unusable key is
// InvalidKeyId as Parameter Store names it.
Status KmsFailure(const Status& st) {
  if (st.code() == ErrorCode::kAccessDenied || st.code() == ErrorCode::kThrottling) return st;
  if (st.code() == ErrorCode::kNotFound || st.code() == ErrorCode::kDisabled ||
      st.code() == ErrorCode::kInvalidState || st.code() == ErrorCode::kInvalidKeyUsage ||
      st.code() == ErrorCode::kInvalidArn || st.code() == ErrorCode::kIncorrectKey ||
      st.code() == ErrorCode::kInvalidCiphertext) {
    return SsmError("InvalidKeyId", std::string(WireName(st)) + ": " + st.message());
  }
  return st;
}

}  // namespace

ParameterStore::ParameterStore(store::Store& store, kms::ServiceKms& kms,
                               policy::IdentityPolicySource& identities, const Clock& clock)
    : store_(store), kms_(kms), identities_(identities), clock_(clock) {}

StatusOr<Json> ParameterStore::Call(const server::FrontCall& call) {
  Caller c;
  c.who = call.who;
  c.account = call.caller.account_id;
  c.region = std::string(call.region);
  return Run(c, call.operation, call.body);
}

server::ServiceFront ParameterStore::Front(const api::ServiceModel& model) {
  server::ServiceFront front;
  front.service = "ssm";
  front.model = &model;
  front.call = [this](const server::FrontCall& call) { return Call(call); };
  front.error_for = [](ErrorCode code) -> std::optional<server::WireError> {
    if (code == ErrorCode::kInternal) return server::WireError{"InternalServerError", 500};
    if (code == ErrorCode::kInvalidNextToken) return server::WireError{"InvalidNextToken", 400};
    if (code == ErrorCode::kUnsupportedOperation)
      return server::WireError{"UnsupportedOperationException", 400};
    return std::nullopt;
  };
  return front;
}

StatusOr<Json> ParameterStore::Run(const Caller& c, std::string_view operation, const Json& body) {
  static const std::unordered_map<std::string_view, Handler> kOps = {
      {"PutParameter", &ParameterStore::PutParameter},
      {"GetParameter", &ParameterStore::GetParameter},
      {"GetParameters", &ParameterStore::GetParameters},
      {"GetParametersByPath", &ParameterStore::GetParametersByPath},
      {"GetParameterHistory", &ParameterStore::GetParameterHistory},
      {"DeleteParameter", &ParameterStore::DeleteParameter},
      {"DeleteParameters", &ParameterStore::DeleteParameters},
      {"DescribeParameters", &ParameterStore::DescribeParameters},
      {"LabelParameterVersion", &ParameterStore::LabelParameterVersion},
      {"UnlabelParameterVersion", &ParameterStore::UnlabelParameterVersion},
      {"AddTagsToResource", &ParameterStore::AddTagsToResource},
      {"RemoveTagsFromResource", &ParameterStore::RemoveTagsFromResource},
      {"ListTagsForResource", &ParameterStore::ListTagsForResource},
      {"GetServiceSetting", &ParameterStore::GetServiceSetting},
      {"UpdateServiceSetting", &ParameterStore::UpdateServiceSetting},
      {"ResetServiceSetting", &ParameterStore::ResetServiceSetting},
  };
  auto it = kOps.find(operation);
  if (it == kOps.end()) {
    // The rest of Systems Manager (Run Command, documents, inventory, ...)
    // is not part of this server.
    return Status(ErrorCode::kUnsupportedOperation,
                  "The operation " + std::string(operation) +
                      " is not supported by this server: only Parameter Store is implemented.");
  }
  return (this->*(it->second))(c, body);
}

std::int64_t ParameterStore::NowMs() const {
  return std::chrono::duration_cast<std::chrono::milliseconds>(clock_.Now().time_since_epoch()).count();
}

kms::ViaService ParameterStore::Via(const Caller& c) const {
  kms::ViaService via;
  via.service = "ssm";
  via.account = c.account;
  via.region = c.region;
  via.principal_arn = c.who.caller.arn;
  via.who = c.who;
  return via;
}

Status ParameterStore::Authorize(const Caller& c, std::string_view action, std::string_view name,
                                 const ParameterRecord* record) {
  policy::Request request;
  request.caller = c.who.caller;
  request.action = "ssm:" + std::string(action);
  request.resource = name.empty() ? std::string("*") : ParameterArn(c.region, c.account, name);
  policy::AddGlobalKeys(c.who, clock_.Now(), request.keys);
  if (record != nullptr) {
    for (const auto& [k, v] : record->tags) request.keys.Set("ssm:resourceTag/" + k, v);
    for (const auto& [k, v] : record->tags) request.keys.Set("aws:ResourceTag/" + k, v);
  }
  bool allowed = false;
  bool denied = false;
  ASSIGN_OR_RETURN(auto policies, identities_.PoliciesFor(c.who));
  for (const auto& named : policies) {
    const policy::Evaluation e = policy::Evaluate(*named.policy, request, false, named.name);
    if (e.decision == policy::Decision::kExplicitDeny) denied = true;
    if (e.decision == policy::Decision::kAllow) allowed = true;
  }
  if (allowed && !denied) return Status::Ok();
  const std::string why = denied
                              ? "with an explicit deny in an identity-based policy"
                              : "because no identity-based policy allows the " + request.action + " action";
  return Status(ErrorCode::kAccessDenied, "User: " + c.who.caller.arn +
                                              " is not authorized to perform: " + request.action +
                                              " on resource: " + request.resource + " " + why);
}

StatusOr<std::string> ParameterStore::Encrypt(const Caller& c, std::string_view key_id, std::string_view arn,
                                              std::string_view plaintext, bool envelope) {
  const kms::EncryptionContext context = {{"PARAMETER_ARN", std::string(arn)}};
  if (!envelope) {
    auto blob = kms_.Encrypt(Via(c), KeyOrDefault(key_id), context, AsBytes(plaintext));
    if (!blob.ok()) return KmsFailure(blob.status());
    return Base64Encode(*blob);
  }
  auto data_key = kms_.GenerateDataKey(Via(c), KeyOrDefault(key_id), context);
  if (!data_key.ok()) return KmsFailure(data_key.status());
  ASSIGN_OR_RETURN(Bytes sealed, SealEnvelope(data_key->plaintext.view(), data_key->ciphertext_blob, arn,
                                              AsBytes(plaintext)));
  return Base64Encode(sealed);
}

StatusOr<std::string> ParameterStore::Decrypt(const Caller& c, const ParameterVersion& v,
                                              std::string_view arn) {
  std::optional<Bytes> blob = Base64Decode(v.value);
  if (!blob) return InternalError("a stored SecureString value is malformed");
  const kms::EncryptionContext context = {{"PARAMETER_ARN", std::string(arn)}};
  if (v.sealing != kEnvelopeSealing) {
    auto plain = kms_.Decrypt(Via(c), *blob, context, KeyOrDefault(v.key_id));
    if (!plain.ok()) return KmsFailure(plain.status());
    return std::string(AsChars(plain->view()));
  }
  ASSIGN_OR_RETURN(Envelope env, ParseEnvelope(*blob));
  auto data_key = kms_.Decrypt(Via(c), env.wrapped_key, context, KeyOrDefault(v.key_id));
  if (!data_key.ok()) return KmsFailure(data_key.status());
  auto plain = OpenEnvelope(data_key->view(), env, arn);
  if (!plain.ok()) return InternalError("a stored SecureString value does not authenticate");
  return plain;
}

StatusOr<Json> ParameterStore::Output(const Caller& c, const ParameterRecord& r, const ParameterVersion& v,
                                      bool decrypt, const std::string& selector) {
  const std::string arn = ParameterArn(r.region, r.account, r.name);
  Json out = {{"Name", r.name},       {"Type", v.type},
              {"Version", v.version}, {"LastModifiedDate", Seconds(v.modified_ms)},
              {"ARN", arn},           {"DataType", v.data_type}};
  if (v.type == "SecureString" && decrypt) {
    ASSIGN_OR_RETURN(out["Value"], Decrypt(c, v, arn));
  } else {
    out["Value"] = v.value;
  }
  if (!selector.empty()) out["Selector"] = selector;
  return out;
}

void ParameterStore::Emit(ServiceEvent event) {
  if (events_) events_(event);
}

}  // namespace coffer::ssm

#include "audit/event.h"

#include <array>
#include <cctype>
#include <cmath>
#include <set>

#include "audit/chain.h"

namespace coffer::audit {
namespace {

using nlohmann::json;

// Members never written to the trail: plaintext, ciphertext, key material,
// signatures/MACs over caller data, secret values and credentials.
constexpr std::array<std::string_view, 20> kSecretMembers = {"Plaintext",
                                                             "CiphertextBlob",
                                                             "SourceCiphertextBlob",
                                                             "EncryptedKeyMaterial",
                                                             "ImportToken",
                                                             "Message",
                                                             "Signature",
                                                             "Mac",
                                                             "PublicKey",
                                                             "PrivateKeyPlaintext",
                                                             "PrivateKeyCiphertextBlob",
                                                             "CiphertextForRecipient",
                                                             "SecretString",
                                                             "SecretBinary",
                                                             "SecretAccessKey",
                                                             "SessionToken",
                                                             "Password",
                                                             "SharedSecret",
                                                             "Recipient",
                                                             "KeyMaterial"};

// Maps whose keys are caller data (kept verbatim, not camelCased).
constexpr std::array<std::string_view, 5> kVerbatimMaps = {
    "EncryptionContext", "EncryptionContextSubset", "EncryptionContextEquals", "SourceEncryptionContext",
    "DestinationEncryptionContext"};

constexpr std::array<std::string_view, 11> kReadOnlyCrypto = {"Encrypt",
                                                              "Decrypt",
                                                              "ReEncrypt",
                                                              "GenerateDataKey",
                                                              "GenerateDataKeyWithoutPlaintext",
                                                              "GenerateRandom",
                                                              "GenerateMac",
                                                              "VerifyMac",
                                                              "Sign",
                                                              "Verify",
                                                              "DeriveSharedSecret"};

template <std::size_t N>
bool Contains(const std::array<std::string_view, N>& list, std::string_view name) {
  for (auto item : list) {
    if (item == name) return true;
  }
  return false;
}

std::string CamelCase(std::string_view name) {
  std::string out(name);
  if (!out.empty()) out[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(out[0])));
  return out;
}

// KMS timestamps are epoch seconds; CloudTrail writes dates as text.
json DateAsText(const std::string& name, const json& value) {
  // Bounded so the conversion to milliseconds cannot overflow (year ~33000).
  if (value.is_number() && name.size() > 4 && name.ends_with("Date") &&
      std::abs(value.get<double>()) < 1e12) {
    const auto ms = static_cast<std::int64_t>(value.get<double>() * 1000.0);
    return IsoTime(FromEpochMillis(ms));
  }
  return Sanitize(value);
}

std::string KeyArnFor(const server::RequestTrace& trace, const std::string& ref) {
  if (ref.starts_with("arn:")) return ref.find(":alias/") == std::string::npos ? ref : "";
  if (ref.empty() || ref.starts_with("alias/") || trace.caller.account_id.empty()) return "";
  return "arn:aws:kms:" + trace.region + ":" + trace.caller.account_id + ":key/" + ref;
}

void AddArn(std::set<std::string>& arns, std::string arn) {
  if (!arn.empty()) arns.insert(std::move(arn));
}

// The keys a KMS request touched: from the response when there is one (it
// names the resolved key ARN), otherwise from the request's key references.
json KmsResources(const server::RequestTrace& trace) {
  std::set<std::string> arns;
  for (const json* doc : {trace.response, trace.request}) {
    if (doc == nullptr || !doc->is_object()) continue;
    for (const char* member : {"KeyId", "TargetKeyId", "DestinationKeyId", "SourceKeyId"}) {
      if (const auto it = doc->find(member); it != doc->end() && it->is_string()) {
        AddArn(arns, KeyArnFor(trace, it->get<std::string>()));
      }
    }
    if (const auto it = doc->find("KeyMetadata"); it != doc->end() && it->is_object()) {
      AddArn(arns, it->value("Arn", ""));
    }
  }
  json out = json::array();
  for (const auto& arn : arns) {
    out.push_back({{"accountId", trace.caller.account_id}, {"type", "AWS::KMS::Key"}, {"ARN", arn}});
  }
  return out;
}

json UserIdentity(const server::Caller& caller) {
  if (caller.arn.empty()) {
    json id = {{"type", "Unknown"}};
    if (!caller.access_key_id.empty()) id["accessKeyId"] = caller.access_key_id;
    return id;
  }
  json id = {{"principalId", caller.user_id},
             {"arn", caller.arn},
             {"accountId", caller.account_id},
             {"accessKeyId", caller.access_key_id}};
  if (caller.arn.find(":assumed-role/") != std::string::npos) {
    // arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION
    const auto role_start = caller.arn.find(":assumed-role/") + 14;
    const std::string role = caller.arn.substr(role_start, caller.arn.find('/', role_start) - role_start);
    id["type"] = "AssumedRole";
    id["sessionContext"] = {{"sessionIssuer",
                             {{"type", "Role"},
                              {"principalId", caller.user_id.substr(0, caller.user_id.find(':'))},
                              {"arn", "arn:aws:iam::" + caller.account_id + ":role/" + role},
                              {"accountId", caller.account_id},
                              {"userName", role}}},
                            {"attributes", {{"mfaAuthenticated", "false"}}}};
  } else {
    id["type"] = caller.arn.ends_with(":root") ? "Root" : "IAMUser";
    id["userName"] = caller.user_name;
  }
  return id;
}

}  // namespace

std::string EventSource(std::string_view service) { return std::string(service) + ".amazonaws.com"; }

bool IsReadOnly(std::string_view op) {
  return op.starts_with("Describe") || op.starts_with("Get") || op.starts_with("List") ||
         op.starts_with("Lookup") || Contains(kReadOnlyCrypto, op);
}

json Sanitize(const json& members) {
  if (members.is_array()) {
    json out = json::array();
    for (const auto& item : members) out.push_back(Sanitize(item));
    return out;
  }
  if (!members.is_object()) return members;
  json out = json::object();
  for (const auto& [name, value] : members.items()) {
    if (Contains(kSecretMembers, name)) continue;
    out[CamelCase(name)] = Contains(kVerbatimMaps, name) ? value : DateAsText(name, value);
  }
  return out;
}

json BuildApiEvent(const server::RequestTrace& trace, std::string_view event_id,
                   std::string_view default_region) {
  const std::string operation = trace.operation.empty() ? "UnknownOperation" : trace.operation;
  const bool read_only = IsReadOnly(operation);
  const std::string service = trace.service.empty() ? "kms" : trace.service;
  json event = {{"eventVersion", "1.08"},
                {"userIdentity", UserIdentity(trace.caller)},
                {"eventTime", IsoTime(trace.time)},
                {"eventSource", EventSource(service)},
                {"eventName", operation},
                {"awsRegion", trace.region.empty() ? std::string(default_region) : trace.region},
                {"sourceIPAddress", trace.source_ip},
                {"userAgent", trace.user_agent},
                {"requestParameters", trace.request != nullptr ? Sanitize(*trace.request) : json()},
                {"responseElements", json()},
                {"requestID", trace.request_id},
                {"eventID", event_id},
                {"readOnly", read_only},
                {"resources", service == "kms" ? KmsResources(trace) : json::array()},
                {"eventType", "AwsApiCall"},
                {"managementEvent", true},
                {"recipientAccountId", trace.caller.account_id},
                {"eventCategory", "Management"}};
  if (!read_only && trace.response != nullptr) event["responseElements"] = Sanitize(*trace.response);
  if (!trace.status.ok()) {
    event["errorCode"] = std::string(ErrorName(trace.status.code()));
    event["errorMessage"] = trace.status.message();
  }
  return event;
}

json BuildServiceEvent(const ServiceAction& action, std::string_view event_id) {
  const std::string source = EventSource(action.service);
  json resources = json::array();
  if (!action.key_arn.empty()) {
    resources.push_back(
        {{"accountId", action.account_id}, {"type", "AWS::KMS::Key"}, {"ARN", action.key_arn}});
  }
  return {{"eventVersion", "1.08"},
          {"userIdentity", {{"type", "AWSService"}, {"accountId", action.account_id}, {"invokedBy", source}}},
          {"eventTime", IsoTime(action.time)},
          {"eventSource", source},
          {"eventName", action.event_name},
          {"awsRegion", action.region},
          {"sourceIPAddress", source},
          {"userAgent", source},
          {"requestParameters", json()},
          {"responseElements", json()},
          {"additionalEventData", {{"keyId", action.key_arn}}},
          {"eventID", event_id},
          {"readOnly", false},
          {"resources", resources},
          {"eventType", "AwsServiceEvent"},
          {"managementEvent", true},
          {"recipientAccountId", action.account_id},
          {"eventCategory", "Management"}};
}

}  // namespace coffer::audit

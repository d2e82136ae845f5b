#include "audit/event.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <vector>

#include "audit/chain.h"
#include "common/iso_time.h"
#include "common/json_writer.h"

namespace coffer::audit {
namespace {

using nlohmann::json;

// Members never written to the trail: plaintext, ciphertext, key material,
// signatures/MACs over caller data, secret values and credentials.
// "Value" is Parameter Store's parameter value (tag values, which share the
// name, are dropped too). KeyStorePassword and RawSecretAccessKey are custom
// key stores' secrets (the CloudHSM kmsuser password, the XKS proxy's key).
constexpr std::array<std::string_view, 24> kSecretMembers = {"Plaintext",
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
                                                             "KeyMaterial",
                                                             "RandomPassword",
                                                             "Value",
                                                             "KeyStorePassword",
                                                             "RawSecretAccessKey"};

// Maps whose keys are caller data (kept verbatim, not camelCased).
constexpr std::array<std::string_view, 5> kVerbatimMaps = {
    "EncryptionContext", "EncryptionContextSubset", "EncryptionContextEquals", "SourceEncryptionContext",
    "DestinationEncryptionContext"};

// CloudTrail marks KMS's cryptographic operations, data key pairs included, read-only.
constexpr std::array<std::string_view, 13> kReadOnlyCrypto = {"Encrypt",
                                                              "Decrypt",
                                                              "ReEncrypt",
                                                              "GenerateDataKey",
                                                              "GenerateDataKeyWithoutPlaintext",
                                                              "GenerateDataKeyPair",
                                                              "GenerateDataKeyPairWithoutPlaintext",
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
// Bounded so the conversion to milliseconds cannot overflow (year ~33000).
bool IsDate(std::string_view name, JsonView value) {
  return value.is_number() && name.size() > 4 && name.ends_with("Date") && std::abs(value.number()) < 1e12;
}

// A member name with its first letter lower-cased (CloudTrail's
// requestParameters style), without a heap copy for ordinary names.
void WriteCamelKey(std::string_view name, JsonOut& out) {
  std::array<char, 64> buffer{};
  if (name.empty() || name.size() > buffer.size()) {
    out.Key(CamelCase(name));
    return;
  }
  std::copy(name.begin(), name.end(), buffer.begin());
  buffer[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(buffer[0])));
  out.Key(std::string_view(buffer.data(), name.size()));
}

void WriteSanitized(JsonView members, JsonOut& out) {
  if (members.is_array()) {
    out.BeginArray();
    members.ForEachElement([&out](JsonView item) {
      WriteSanitized(item, out);
      return true;
    });
    out.EndArray();
    return;
  }
  if (!members.is_object()) {
    out.Value(members);
    return;
  }
  out.BeginObject();
  members.ForEachMember([&out](std::string_view name, JsonView value) {
    if (Contains(kSecretMembers, name)) return true;
    WriteCamelKey(name, out);
    if (Contains(kVerbatimMaps, name)) {
      out.Value(value);
    } else if (IsDate(name, value)) {
      out.String(IsoTime(FromEpochMillis(static_cast<std::int64_t>(value.number() * 1000.0))));
    } else {
      WriteSanitized(value, out);
    }
    return true;
  });
  out.EndObject();
}

void WriteSanitizedOrNull(JsonView members, JsonOut& out) {
  if (members.absent()) {
    out.Null();
  } else {
    WriteSanitized(members, out);
  }
}

// The key ARN a key reference names, written into `out`; false for an alias
// (its key is not known here) or a bare id without an account.
bool KeyArnFor(const server::RequestTrace& trace, std::string_view ref, std::string& out) {
  if (ref.starts_with("arn:")) {
    if (ref.find(":alias/") != std::string_view::npos) return false;
    out.assign(ref);
    return true;
  }
  if (ref.empty() || ref.starts_with("alias/") || trace.caller.account_id.empty()) return false;
  out.append("arn:aws:kms:").append(trace.region).append(":").append(trace.caller.account_id);
  out.append(":key/").append(ref);
  return true;
}

void WriteKeyResource(std::string_view account_id, std::string_view arn, JsonOut& out,
                      std::string_view type = "AWS::KMS::Key") {
  out.BeginObject().Member("accountId", account_id).Member("type", type).Member("ARN", arn).EndObject();
}

// The keys a KMS request touched: from the response when there is one (it
// names the resolved key ARN), otherwise from the request's key references.
void WriteKmsResources(const server::RequestTrace& trace, JsonOut& out) {
  // At most a handful of ARNs, in slots this thread reuses (a slot's capacity
  // outlives the request, so a warm record allocates nothing here).
  thread_local std::vector<std::string> arns;
  std::size_t used = 0;
  const auto next_slot = [&]() -> std::string& {
    if (used == arns.size()) arns.emplace_back();
    std::string& slot = arns[used++];
    slot.clear();
    return slot;
  };
  for (const JsonView doc : {trace.response, trace.request}) {
    if (!doc.is_object()) continue;
    for (const char* member : {"KeyId", "TargetKeyId", "DestinationKeyId", "SourceKeyId"}) {
      if (const JsonView ref = doc.find(member);
          ref.is_string() && !KeyArnFor(trace, ref.str(), next_slot())) {
        --used;
      }
    }
    if (const std::string_view arn = doc.find("KeyMetadata").string_member("Arn"); !arn.empty()) {
      next_slot().assign(arn);
    }
  }
  const auto first = arns.begin();
  const auto last = first + static_cast<std::ptrdiff_t>(used);
  std::sort(first, last);
  const auto distinct_end = std::unique(first, last);
  out.BeginArray();
  for (auto it = first; it != distinct_end; ++it) WriteKeyResource(trace.caller.account_id, *it, out);
  out.EndArray();
}

// arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION
void WriteSessionContext(const server::Caller& caller, JsonOut& out) {
  const auto role_start = caller.arn.find(":assumed-role/") + 14;
  const std::string role = caller.arn.substr(role_start, caller.arn.find('/', role_start) - role_start);
  out.Key("sessionContext").BeginObject().Key("sessionIssuer").BeginObject();
  out.Member("type", "Role")
      .Member("principalId", std::string_view(caller.user_id).substr(0, caller.user_id.find(':')))
      .Member("arn", "arn:aws:iam::" + caller.account_id + ":role/" + role)
      .Member("accountId", caller.account_id)
      .Member("userName", role)
      .EndObject();
  out.Key("attributes").BeginObject().Member("mfaAuthenticated", "false").EndObject().EndObject();
}

void WriteUserIdentity(const server::Caller& caller, std::string_view invoked_by, JsonOut& out) {
  out.BeginObject();
  if (caller.arn.empty()) {
    out.Member("type", "Unknown");
    if (!caller.access_key_id.empty()) out.Member("accessKeyId", caller.access_key_id);
    out.EndObject();
    return;
  }
  const bool assumed = caller.arn.find(":assumed-role/") != std::string::npos;
  out.Member("type", assumed                         ? "AssumedRole"
                     : caller.arn.ends_with(":root") ? "Root"
                                                     : "IAMUser")
      .Member("principalId", caller.user_id)
      .Member("arn", caller.arn)
      .Member("accountId", caller.account_id)
      .Member("accessKeyId", caller.access_key_id);
  if (assumed) {
    WriteSessionContext(caller, out);
  } else {
    out.Member("userName", caller.user_name);
  }
  if (!invoked_by.empty()) out.Member("invokedBy", invoked_by);
  out.EndObject();
}

// The members every record ends with. `node_id` (cluster mode) names the node
// whose chain holds the record; CloudTrail has no such member.
void WriteTrailer(std::string_view event_id, bool read_only, std::string_view event_type,
                  std::string_view account_id, bool data_event, std::string_view node_id, JsonOut& out) {
  out.Member("eventID", event_id)
      .Member("readOnly", read_only)
      .Member("eventType", event_type)
      .Member("managementEvent", !data_event)
      .Member("recipientAccountId", account_id)
      .Member("eventCategory", data_event ? "Data" : "Management");
  if (!node_id.empty()) out.Member(kNodeIdMember, node_id);
}

// S3's object-level operations are CloudTrail data events; bucket operations
// are management events.
constexpr std::array<std::string_view, 16> kS3DataOperations = {"PutObject",
                                                                "GetObject",
                                                                "HeadObject",
                                                                "DeleteObject",
                                                                "DeleteObjects",
                                                                "CopyObject",
                                                                "PutObjectTagging",
                                                                "GetObjectTagging",
                                                                "DeleteObjectTagging",
                                                                "GetObjectAttributes",
                                                                "CreateMultipartUpload",
                                                                "UploadPart",
                                                                "UploadPartCopy",
                                                                "CompleteMultipartUpload",
                                                                "AbortMultipartUpload",
                                                                "ListParts"};

void WriteS3Resources(const server::RequestTrace& trace, JsonOut& out) {
  out.BeginArray();
  if (trace.request.is_object()) {
    const std::string bucket(trace.request.string_member("bucketName"));
    const std::string_view key = trace.request.string_member("key");
    if (!key.empty()) {
      out.BeginObject()
          .Member("type", "AWS::S3::Object")
          .Member("ARN", "arn:aws:s3:::" + bucket + "/" + std::string(key))
          .EndObject();
    }
    if (!bucket.empty()) {
      out.BeginObject().Member("type", "AWS::S3::Bucket").Member("ARN", "arn:aws:s3:::" + bucket).EndObject();
    }
  }
  out.EndArray();
}

}  // namespace

std::string EventSource(std::string_view service) { return std::string(service).append(kEventSourceSuffix); }

std::string_view EventSourceInto(std::string_view service, std::span<char, 64> buffer) {
  if (service.size() + kEventSourceSuffix.size() > buffer.size()) return {};
  const std::size_t n = service.size();
  std::copy_n(service.data(), n, buffer.data());
  std::copy(kEventSourceSuffix.begin(), kEventSourceSuffix.end(), buffer.data() + n);
  return {buffer.data(), n + kEventSourceSuffix.size()};
}

bool IsDataEvent(std::string_view service, std::string_view op) {
  return service == "s3" && Contains(kS3DataOperations, op);
}

bool IsReadOnly(std::string_view op) {
  return op.starts_with("Describe") || op.starts_with("Head") || op.starts_with("Get") ||
         op.starts_with("List") || op.starts_with("Lookup") || Contains(kReadOnlyCrypto, op);
}

std::string SanitizedJson(const json& members) {
  std::string text;
  JsonOut out(text);
  WriteSanitized(members, out);
  return text;
}

std::string BuildApiEvent(const server::RequestTrace& trace, std::string_view event_id,
                          std::string_view default_region, std::string_view node_id) {
  const std::string_view operation =
      trace.operation.empty() ? std::string_view("UnknownOperation") : std::string_view(trace.operation);
  const bool read_only = IsReadOnly(operation);
  const std::string_view service =
      trace.service.empty() ? std::string_view("kms") : std::string_view(trace.service);
  std::string text;
  text.reserve(1024);
  JsonOut out(text);
  out.BeginObject().Member("eventVersion", "1.08").Key("userIdentity");
  WriteUserIdentity(trace.caller, trace.invoked_by, out);
  // Both in buffers of their own: no allocation per record.
  const IsoSecondsText time(trace.time);
  char source[64];
  std::string long_source;
  std::string_view source_text = EventSourceInto(service, source);
  if (source_text.empty()) source_text = long_source = EventSource(service);
  out.Member("eventTime", time.view())
      .Member("eventSource", source_text)
      .Member("eventName", operation)
      .Member("awsRegion", trace.region.empty() ? default_region : std::string_view(trace.region))
      .Member("sourceIPAddress", trace.source_ip)
      .Member("userAgent", trace.user_agent)
      .Key("requestParameters");
  WriteSanitizedOrNull(trace.request, out);
  out.Key("responseElements");
  WriteSanitizedOrNull(read_only ? nullptr : trace.response, out);
  out.Member("requestID", trace.request_id).Key("resources");
  if (service == "kms") {
    WriteKmsResources(trace, out);
  } else if (service == "s3") {
    WriteS3Resources(trace, out);
  } else {
    out.BeginArray().EndArray();
  }
  WriteTrailer(event_id, read_only, "AwsApiCall", trace.caller.account_id, IsDataEvent(service, operation),
               node_id, out);
  if (!trace.status.ok()) {
    out.Member("errorCode", WireName(trace.status)).Member("errorMessage", trace.status.message());
  }
  out.EndObject();
  return text;
}

std::string BuildServiceEvent(const ServiceAction& action, std::string_view event_id,
                              std::string_view node_id) {
  const std::string source = EventSource(action.service);
  std::string text;
  JsonOut out(text);
  out.BeginObject().Member("eventVersion", "1.08").Key("userIdentity").BeginObject();
  out.Member("type", "AWSService").Member("accountId", action.account_id).Member("invokedBy", source);
  out.EndObject()
      .Member("eventTime", IsoTime(action.time))
      .Member("eventSource", source)
      .Member("eventName", action.event_name)
      .Member("awsRegion", action.region)
      .Member("sourceIPAddress", source)
      .Member("userAgent", source)
      .Key("requestParameters")
      .Null()
      .Key("responseElements")
      .Null()
      .Key("additionalEventData")
      .BeginObject();
  if (action.resource_type == "AWS::KMS::Key") out.Member("keyId", action.key_arn);
  out.EndObject().Key("resources").BeginArray();
  if (!action.key_arn.empty()) WriteKeyResource(action.account_id, action.key_arn, out, action.resource_type);
  out.EndArray();
  WriteTrailer(event_id, false, "AwsServiceEvent", action.account_id, false, node_id, out);
  out.EndObject();
  return text;
}

}  // namespace coffer::audit

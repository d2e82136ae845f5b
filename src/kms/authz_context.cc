// The condition keys of a KMS request (global aws:* keys and kms:* keys),
// filled from the caller, the key and the validated request body. One filler
// writes them to a sink: a policy::Request for evaluation, or the flat
// decision-cache key, so the two can never disagree about what a decision
// depends on.
#include <charconv>
#include <chrono>
#include <cstdio>
#include <ctime>

#include "common/iso_time.h"
#include "kms/authorizer.h"
#include "kms/service.h"

namespace coffer::kms {
namespace {

void AddCaller(const RequestContext& ctx, RequestSink& out) {
  policy::Caller caller = ctx.who.caller;
  if (caller.arn.empty()) caller.arn = ctx.principal_arn;
  if (caller.account.empty()) caller.account = ctx.account;
  out.Key("aws:SecureTransport", ctx.who.secure_transport ? "true" : "false");
  if (!ctx.who.source_ip.empty()) out.Key("aws:SourceIp", ctx.who.source_ip);
  out.Key("aws:PrincipalArn", caller.role_arn.empty() ? caller.arn : caller.role_arn);
  out.Key("aws:PrincipalAccount", caller.account);
  out.Key("kms:CallerAccount", caller.account);
  if (!ctx.who.principal_type.empty()) out.Key("aws:PrincipalType", ctx.who.principal_type);
  if (!ctx.who.user_name.empty()) out.Key("aws:username", ctx.who.user_name);
  if (!ctx.who.user_id.empty()) out.Key("aws:userid", ctx.who.user_id);
  if (!ctx.via_service.empty()) out.Key("kms:ViaService", ctx.via_service);
  out.Principal(std::move(caller));
}

void AddTime(TimePoint now, RequestSink& out) {
  out.Key("aws:CurrentTime", IsoSeconds(now));
  out.Key("aws:EpochTime",
          std::to_string(std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count()));
}

void AddKey(const KeyRecord& key, RequestSink& out) {
  out.Resource(key.Arn());
  for (const auto& [tag, value] : key.tags) out.Key("aws:ResourceTag/" + tag, value);
  out.Key("kms:KeySpec", key.key_spec);
  out.Key("kms:KeyUsage", key.key_usage);
  out.Key("kms:KeyOrigin", key.origin);
}

void AddEncryptionContext(JsonView req, std::string_view member, RequestSink& out) {
  const JsonView context = req.find(member);
  if (!context.is_object()) return;
  std::vector<std::string> names;
  context.ForEachMember([&](std::string_view k, JsonView v) {
    if (!v.is_string()) return true;
    out.Key(std::string("kms:EncryptionContext:").append(k), std::string(v.str()));
    names.emplace_back(k);
    return true;
  });
  out.Keys("kms:EncryptionContextKeys", std::move(names));
}

void AddTags(JsonView req, RequestSink& out) {
  std::vector<std::string> names;
  req.find("Tags").ForEachElement([&](JsonView t) {
    const JsonView key = t.find("TagKey");
    if (!key.is_string()) return true;
    out.Key(std::string("aws:RequestTag/").append(key.str()), std::string(t.string_member("TagValue")));
    names.emplace_back(key.str());
    return true;
  });
  req.find("TagKeys").ForEachElement([&](JsonView k) {
    if (k.is_string()) names.emplace_back(k.str());
    return true;
  });
  if (!names.empty()) out.Keys("aws:TagKeys", std::move(names));
}

void AddRequest(const RequestContext& ctx, JsonView req, RequestSink& out) {
  const bool from = ctx.action == "kms:ReEncryptFrom";
  const bool to = ctx.action == "kms:ReEncryptTo";
  AddEncryptionContext(req,
                       from ? "SourceEncryptionContext"
                       : to ? "DestinationEncryptionContext"
                            : "EncryptionContext",
                       out);
  AddTags(req, out);
  const char* algorithm_member = from ? "SourceEncryptionAlgorithm"
                                 : to ? "DestinationEncryptionAlgorithm"
                                      : "EncryptionAlgorithm";
  if (const JsonView a = req.find(algorithm_member); a.is_string()) {
    out.Key("kms:EncryptionAlgorithm", std::string(a.str()));
  }
  const char* key_member = to ? "DestinationKeyId" : "KeyId";
  if (const std::string_view ref = req.string_member(key_member); ref.starts_with("alias/")) {
    out.Key("kms:RequestAlias", std::string(ref));
  }
  if (const JsonView ops = req.find("Operations"); ops.is_array()) {
    std::vector<std::string> names;
    ops.ForEachElement([&names](JsonView o) {
      if (o.is_string()) names.emplace_back(o.str());
      return true;
    });
    out.Keys("kms:GrantOperations", std::move(names));
    out.Key("kms:GrantIsForAWSResource", "false");  // no AWS service integrations call Coffer
  }
}

}  // namespace

void FillRequest(const RequestContext& ctx, const KeyRecord* key, std::optional<TimePoint> now,
                 RequestSink& out) {
  out.Resource("*");
  AddCaller(ctx, out);
  if (now) AddTime(*now, out);
  if (key != nullptr) AddKey(*key, out);
  if (!ctx.request.absent()) AddRequest(ctx, ctx.request, out);
}

policy::Request BuildRequest(const RequestContext& ctx, const KeyRecord* key, TimePoint now) {
  policy::Request r;
  r.action = ctx.action;
  PolicyRequestSink sink(r);
  FillRequest(ctx, key, now, sink);
  return r;
}

void DecisionKeySink::Principal(policy::Caller caller) {
  Field(caller.arn);
  Field(caller.role_arn);
  Field(caller.account);
  Field(caller.service);
  Field(caller.anonymous ? "anonymous" : "signed");
}

void DecisionKeySink::Resource(std::string arn) { Field(arn); }

void DecisionKeySink::Key(std::string_view name, std::string value) {
  Field(name);
  Field(value);
}

void DecisionKeySink::Keys(std::string_view name, std::vector<std::string> values) {
  Field(name);
  text_ += '[';
  text_ += std::to_string(values.size());
  for (const auto& v : values) Field(v);
}

// Length-prefixed, so no field's bytes can be read as another field.
void DecisionKeySink::Field(std::string_view text) {
  char size[24];
  const auto [end, ec] = std::to_chars(size, size + sizeof size - 1, text.size());
  *end = ':';
  text_.append(size, end + 1);
  text_ += text;
}

}  // namespace coffer::kms

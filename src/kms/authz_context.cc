// The condition keys of a KMS request (global aws:* keys and kms:* keys),
// filled from the caller, the key and the validated request body. One filler
// writes them to a sink: a policy::Request for evaluation, or the flat
// decision-cache key, so the two can never disagree about what a decision
// depends on.
#include <boost/container/small_vector.hpp>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <optional>

#include "common/iso_time.h"
#include "common/reused.h"
#include "kms/arn.h"
#include "kms/authorizer.h"
#include "kms/service.h"

namespace coffer::kms {
namespace {

void AddCaller(const RequestContext& ctx, RequestSink& out) {
  // A copy only when the caller lacks its ARN or account (requests built
  // outside the router); the router's callers have both.
  std::optional<policy::Caller> completed;
  if (ctx.who.caller.arn.empty() || ctx.who.caller.account.empty()) {
    completed = ctx.who.caller;
    if (completed->arn.empty()) completed->arn = ctx.principal_arn;
    if (completed->account.empty()) completed->account = ctx.account;
  }
  const policy::Caller& caller = completed ? *completed : ctx.who.caller;
  out.Key("aws:SecureTransport", ctx.who.secure_transport ? "true" : "false");
  if (!ctx.who.source_ip.empty()) out.Key("aws:SourceIp", ctx.who.source_ip);
  out.Key("aws:PrincipalArn", caller.role_arn.empty() ? caller.arn : caller.role_arn);
  out.Key("aws:PrincipalAccount", caller.account);
  out.Key("kms:CallerAccount", caller.account);
  if (!ctx.who.principal_type.empty()) out.Key("aws:PrincipalType", ctx.who.principal_type);
  if (!ctx.who.user_name.empty()) out.Key("aws:username", ctx.who.user_name);
  if (!ctx.who.user_id.empty()) out.Key("aws:userid", ctx.who.user_id);
  if (!ctx.via_service.empty()) out.Key("kms:ViaService", ctx.via_service);
  out.Principal(caller);
}

void AddTime(TimePoint now, RequestSink& out) {
  out.Key("aws:CurrentTime", IsoSeconds(now));
  out.Key("aws:EpochTime",
          std::to_string(std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count()));
}

void AddKey(const KeyRecord& key, RequestSink& out) {
  struct ArnTag;
  const Reused<std::string, ArnTag> arn;  // the thread's: no allocation per request
  AssignKeyArn(key.region, key.account, key.key_id, *arn);
  out.Resource(*arn);
  for (const auto& [tag, value] : key.tags) out.Key("aws:ResourceTag/", tag, value);
  out.Key("kms:KeySpec", key.key_spec);
  out.Key("kms:KeyUsage", key.key_usage);
  out.Key("kms:KeyOrigin", key.origin);
}

void AddEncryptionContext(JsonView req, std::string_view member, RequestSink& out) {
  const JsonView context = req.find(member);
  if (!context.is_object()) return;
  // Views into the request document; a context of up to 8 pairs stays inline.
  boost::container::small_vector<std::string_view, 8> names;
  context.ForEachMember([&](std::string_view k, JsonView v) {
    if (!v.is_string()) return true;
    out.Key("kms:EncryptionContext:", k, v.str());
    names.push_back(k);
    return true;
  });
  out.Keys("kms:EncryptionContextKeys", std::span<const std::string_view>(names.data(), names.size()));
}

void AddTags(JsonView req, RequestSink& out) {
  std::vector<std::string_view> names;
  req.find("Tags").ForEachElement([&](JsonView t) {
    const JsonView key = t.find("TagKey");
    if (!key.is_string()) return true;
    out.Key("aws:RequestTag/", key.str(), t.string_member("TagValue"));
    names.push_back(key.str());
    return true;
  });
  req.find("TagKeys").ForEachElement([&](JsonView k) {
    if (k.is_string()) names.push_back(k.str());
    return true;
  });
  if (!names.empty()) out.Keys("aws:TagKeys", names);
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
    out.Key("kms:EncryptionAlgorithm", a.str());
  }
  const char* key_member = to ? "DestinationKeyId" : "KeyId";
  if (const std::string_view ref = req.string_member(key_member); ref.starts_with("alias/")) {
    out.Key("kms:RequestAlias", ref);
  }
  if (const JsonView ops = req.find("Operations"); ops.is_array()) {
    std::vector<std::string_view> names;
    ops.ForEachElement([&names](JsonView o) {
      if (o.is_string()) names.push_back(o.str());
      return true;
    });
    out.Keys("kms:GrantOperations", names);
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

void PolicyRequestSink::Key(std::string_view name, std::string_view name_suffix, std::string_view value) {
  if (name_suffix.empty()) return r_.keys.Set(name, std::string(value));
  r_.keys.Set(std::string(name).append(name_suffix), std::string(value));
}

void PolicyRequestSink::Keys(std::string_view name, std::span<const std::string_view> values) {
  r_.keys.SetMulti(name, std::vector<std::string>(values.begin(), values.end()));
}

void DecisionKeySink::Principal(const policy::Caller& caller) {
  Field(caller.arn);
  Field(caller.role_arn);
  Field(caller.account);
  Field(caller.service);
  Field(caller.anonymous ? "anonymous" : "signed");
}

void DecisionKeySink::Resource(std::string_view arn) { Field(arn); }

void DecisionKeySink::Key(std::string_view name, std::string_view name_suffix, std::string_view value) {
  Field(name, name_suffix);
  Field(value);
}

void DecisionKeySink::Keys(std::string_view name, std::span<const std::string_view> values) {
  Field(name);
  text_ += '[';
  char count[24];
  const auto [end, ec] = std::to_chars(count, count + sizeof count, values.size());
  text_.append(count, end);
  for (const auto& v : values) Field(v);
}

// Length-prefixed, so no field's bytes can be read as another field; `more`
// continues the same field.
void DecisionKeySink::Field(std::string_view text, std::string_view more) {
  char size[24];
  const auto [end, ec] = std::to_chars(size, size + sizeof size - 1, text.size() + more.size());
  *end = ':';
  text_.append(size, end + 1);
  text_ += text;
  text_ += more;
}

}  // namespace coffer::kms

// The condition keys of a KMS request (global aws:* keys and kms:* keys),
// filled from the caller, the key and the validated request body.
#include <chrono>
#include <cstdio>
#include <ctime>

#include "kms/authorizer.h"
#include "kms/service.h"

namespace coffer::kms {
namespace {

std::string IsoTime(TimePoint now) {
  const std::time_t t = std::chrono::system_clock::to_time_t(now);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

void AddCaller(const RequestContext& ctx, policy::Request& r, TimePoint now) {
  r.caller = ctx.who.caller;
  if (r.caller.arn.empty()) r.caller.arn = ctx.principal_arn;
  if (r.caller.account.empty()) r.caller.account = ctx.account;
  auto& k = r.keys;
  k.Set("aws:SecureTransport", ctx.who.secure_transport ? "true" : "false");
  if (!ctx.who.source_ip.empty()) k.Set("aws:SourceIp", ctx.who.source_ip);
  k.Set("aws:PrincipalArn", r.caller.role_arn.empty() ? r.caller.arn : r.caller.role_arn);
  k.Set("aws:PrincipalAccount", r.caller.account);
  k.Set("kms:CallerAccount", r.caller.account);
  if (!ctx.who.principal_type.empty()) k.Set("aws:PrincipalType", ctx.who.principal_type);
  if (!ctx.who.user_name.empty()) k.Set("aws:username", ctx.who.user_name);
  if (!ctx.who.user_id.empty()) k.Set("aws:userid", ctx.who.user_id);
  k.Set("aws:CurrentTime", IsoTime(now));
  k.Set("aws:EpochTime",
        std::to_string(std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count()));
}

void AddKey(const KeyRecord& key, policy::Request& r) {
  r.resource = key.Arn();
  for (const auto& [tag, value] : key.tags) r.keys.Set("aws:ResourceTag/" + tag, value);
  r.keys.Set("kms:KeySpec", key.key_spec);
  r.keys.Set("kms:KeyUsage", key.key_usage);
  r.keys.Set("kms:KeyOrigin", key.origin);
}

void AddEncryptionContext(const Json& req, std::string_view member, policy::Request& r) {
  auto it = req.find(member);
  if (it == req.end() || !it->is_object()) return;
  std::vector<std::string> names;
  for (const auto& [k, v] : it->items()) {
    if (!v.is_string()) continue;
    r.keys.Set("kms:EncryptionContext:" + k, v.get<std::string>());
    names.push_back(k);
  }
  r.keys.SetMulti("kms:EncryptionContextKeys", std::move(names));
}

void AddTags(const Json& req, policy::Request& r) {
  std::vector<std::string> names;
  if (auto tags = req.find("Tags"); tags != req.end() && tags->is_array()) {
    for (const auto& t : *tags) {
      if (!t.is_object() || !t.contains("TagKey") || !t["TagKey"].is_string()) continue;
      const std::string key = t["TagKey"].get<std::string>();
      r.keys.Set("aws:RequestTag/" + key, t.value("TagValue", ""));
      names.push_back(key);
    }
  }
  if (auto keys = req.find("TagKeys"); keys != req.end() && keys->is_array()) {
    for (const auto& k : *keys) {
      if (k.is_string()) names.push_back(k.get<std::string>());
    }
  }
  if (!names.empty()) r.keys.SetMulti("aws:TagKeys", std::move(names));
}

void AddRequest(const RequestContext& ctx, const Json& req, policy::Request& r) {
  const bool from = ctx.action == "kms:ReEncryptFrom";
  const bool to = ctx.action == "kms:ReEncryptTo";
  AddEncryptionContext(req,
                       from ? "SourceEncryptionContext"
                       : to ? "DestinationEncryptionContext"
                            : "EncryptionContext",
                       r);
  AddTags(req, r);
  const char* algorithm_member = from ? "SourceEncryptionAlgorithm"
                                 : to ? "DestinationEncryptionAlgorithm"
                                      : "EncryptionAlgorithm";
  if (auto a = req.find(algorithm_member); a != req.end() && a->is_string()) {
    r.keys.Set("kms:EncryptionAlgorithm", a->get<std::string>());
  }
  const char* key_member = to ? "DestinationKeyId" : "KeyId";
  if (auto id = req.find(key_member); id != req.end() && id->is_string()) {
    const std::string ref = id->get<std::string>();
    if (ref.starts_with("alias/")) r.keys.Set("kms:RequestAlias", ref);
  }
  if (auto ops = req.find("Operations"); ops != req.end() && ops->is_array()) {
    std::vector<std::string> names;
    for (const auto& o : *ops) {
      if (o.is_string()) names.push_back(o.get<std::string>());
    }
    r.keys.SetMulti("kms:GrantOperations", std::move(names));
    r.keys.Set("kms:GrantIsForAWSResource", "false");  // no AWS service integrations call Coffer
  }
}

}  // namespace

policy::Request BuildRequest(const RequestContext& ctx, const KeyRecord* key, TimePoint now) {
  policy::Request r;
  r.action = ctx.action;
  r.resource = "*";
  AddCaller(ctx, r, now);
  if (key != nullptr) AddKey(*key, r);
  if (ctx.request != nullptr) AddRequest(ctx, *ctx.request, r);
  return r;
}

}  // namespace coffer::kms

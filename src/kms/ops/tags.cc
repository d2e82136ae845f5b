// Tags: TagResource, UntagResource, ListResourceTags.
#include "kms/ops/ops.h"

namespace coffer::kms::ops {
namespace {
constexpr std::size_t kMaxTags = 50;
}  // namespace

StatusOr<Json> TagResource(KmsService& kms, const RequestContext& ctx, const Json& req) {
  ASSIGN_OR_RETURN(auto tags, ReadTags(req));
  RETURN_IF_ERROR(MutateKey(kms, ctx, req.at("KeyId").get<std::string>(), [&](KeyRecord& r) {
                    RETURN_IF_ERROR(CheckCustomerManaged(r, ctx));
                    RETURN_IF_ERROR(CheckNotPendingDeletion(r));
                    for (const auto& [k, v] : tags) r.tags[k] = v;
                    if (r.tags.size() > kMaxTags) {
                      return Status(ErrorCode::kLimitExceeded, "A KMS key can have at most 50 tags");
                    }
                    return Status::Ok();
                  }).status());
  return Json::object();
}

StatusOr<Json> UntagResource(KmsService& kms, const RequestContext& ctx, const Json& req) {
  RETURN_IF_ERROR(MutateKey(kms, ctx, req.at("KeyId").get<std::string>(), [&](KeyRecord& r) {
                    RETURN_IF_ERROR(CheckCustomerManaged(r, ctx));
                    RETURN_IF_ERROR(CheckNotPendingDeletion(r));
                    for (const auto& k : req.at("TagKeys")) {
                      if (k.is_string()) r.tags.erase(k.get<std::string>());
                    }
                    return Status::Ok();
                  }).status());
  return Json::object();
}

StatusOr<Json> ListResourceTags(KmsService& kms, const RequestContext& ctx, const Json& req) {
  ASSIGN_OR_RETURN(auto key, kms.LoadForCaller(ctx, req.at("KeyId").get<std::string>()));
  ASSIGN_OR_RETURN(std::string after, DecodeMarker(req));
  const std::size_t limit = std::min<std::size_t>(ReadLimit(req, 50), 50);
  Json tags = Json::array();
  std::string last;
  bool truncated = false;
  for (auto it = key->record.tags.upper_bound(after); it != key->record.tags.end(); ++it) {
    if (tags.size() == limit) {
      truncated = true;
      break;
    }
    tags.push_back({{"TagKey", it->first}, {"TagValue", it->second}});
    last = it->first;
  }
  Json out = {{"Tags", std::move(tags)}, {"Truncated", truncated}};
  if (truncated) out["NextMarker"] = EncodeMarker(last);
  return out;
}

}  // namespace coffer::kms::ops

#include "s3/service.h"

#include <algorithm>
#include <cctype>
#include <ctime>

#include "auth/canonical.h"
#include "policy/global_keys.h"
#include "policy/policy.h"
#include "s3/bucket_policy.h"
#include "s3/encryption.h"
#include "s3/errors.h"
#include "s3/existing_tags.h"
#include "s3/uri.h"

namespace coffer::s3 {
namespace {

// S3's condition keys that the request itself carries.
void AddS3Keys(const S3Request& req, policy::ContextKeys& keys) {
  for (std::string_view name : {"prefix", "delimiter", "max-keys", "versionId"}) {
    if (const std::string* value = req.Query(name)) {
      keys.Set(name == "versionId" ? std::string("s3:VersionId") : "s3:" + std::string(name), *value);
    }
  }
  const bool presigned = req.Query("X-Amz-Signature") != nullptr;
  keys.Set("s3:authType", presigned ? "REST-QUERY-STRING" : "REST-HEADER");
  keys.Set("s3:signatureversion", "AWS4-HMAC-SHA256");
  // As sent: a request without the header has no key, even where bucket
  // default encryption will apply.
  for (std::string_view header :
       {"x-amz-content-sha256", "x-amz-server-side-encryption", "x-amz-server-side-encryption-aws-kms-key-id",
        "x-amz-server-side-encryption-customer-algorithm", "x-amz-copy-source", "x-amz-metadata-directive",
        "x-amz-acl"}) {
    if (req.HasHeader(header)) keys.Set("s3:" + std::string(header), std::string(req.Header(header)));
  }
  // s3:RequestObjectTag/<key> from x-amz-tagging ("k1=v1&k2=v2").
  if (std::string_view tagging = req.Header("x-amz-tagging"); !tagging.empty()) {
    std::vector<std::string> tag_keys;
    for (const auto& [k, v] : ParseQuery(tagging)) {
      keys.Set("s3:RequestObjectTag/" + k, v);
      tag_keys.push_back(k);
    }
    keys.SetMulti("s3:RequestObjectTagKeys", std::move(tag_keys));
  }
}

}  // namespace

std::string_view S3Request::Header(std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (auth::internal::EqualsIgnoreCase(k, name)) return v;
  }
  return {};
}

bool S3Request::HasHeader(std::string_view name) const {
  return std::any_of(headers.begin(), headers.end(),
                     [&](const auth::Header& h) { return auth::internal::EqualsIgnoreCase(h.first, name); });
}

const std::string* S3Request::Query(std::string_view name) const {
  const auto it = query.find(std::string(name));
  return it == query.end() ? nullptr : &it->second;
}

S3Service::S3Service(store::Store& store, blobs::BlobStore& blobs, policy::IdentityPolicySource& identities,
                     const Clock& clock, RandomSource& random)
    : store_(store),
      blobs_(blobs),
      identities_(identities),
      clock_(clock),
      random_(random),
      sealer_(std::make_unique<ObjectSealer>(clock, random)) {}

S3Service::~S3Service() = default;

std::int64_t S3Service::NowMs() const {
  return std::chrono::duration_cast<std::chrono::milliseconds>(clock_.Now().time_since_epoch()).count();
}

Status S3Service::Authorize(const S3Request& req, std::string_view action, std::string_view resource,
                            const BucketRecord* bucket, const TagLoader& existing_tags) {
  policy::Request request;
  request.caller = req.who.caller;
  request.action = std::string(action);
  request.resource = std::string(resource);
  policy::AddGlobalKeys(req.who, clock_.Now(), request.keys);
  if (req.who.caller.anonymous) {  // an unsigned request has no principal
    request.keys.Erase("aws:PrincipalArn");
    request.keys.Erase("aws:PrincipalAccount");
  }
  AddS3Keys(req, request.keys);
  std::vector<policy::NamedPolicy> policies;
  if (!req.who.caller.anonymous) {
    ASSIGN_OR_RETURN(policies, identities_.PoliciesFor(req.who));
  }
  std::shared_ptr<const policy::Policy> bucket_policy;
  if (bucket != nullptr) {
    ASSIGN_OR_RETURN(bucket_policy, ParsedPolicyOf(*bucket));
  }
  if (existing_tags && SupportsExistingObjectTag(action) &&
      ((bucket_policy && ReadsExistingObjectTag(*bucket_policy)) ||
       std::any_of(policies.begin(), policies.end(),
                   [](const policy::NamedPolicy& p) { return ReadsExistingObjectTag(*p.policy); }))) {
    ASSIGN_OR_RETURN(std::optional<Tags> tags, existing_tags());
    if (tags) AddExistingObjectTagKeys(*tags, request.keys);
  }
  std::vector<policy::Evaluation> identity;
  for (const auto& named : policies)
    identity.push_back(policy::Evaluate(*named.policy, request, false, named.name));
  AccessInputs inputs;
  if (bucket != nullptr) {
    inputs.owner_account = bucket->account;
    inputs.bucket_policy = bucket_policy.get();
    inputs.restrict_public = bucket_policy != nullptr && bucket->public_access_block &&
                             bucket->public_access_block->restrict_public_buckets &&
                             IsPublicPolicy(*bucket_policy);
    inputs.root_policy_bypass = IsPolicyManagementAction(action) && !req.who.caller.anonymous &&
                                req.who.caller.arn == "arn:aws:iam::" + bucket->account + ":root";
  }
  if (DecideAccess(request, identity, inputs).decision == policy::Decision::kAllow) return Status::Ok();
  return S3Error("AccessDenied", "Access Denied");
}

StatusOr<BucketRecord> S3Service::AuthorizedBucket(const S3Request& req, std::string_view action,
                                                   bool object_level) {
  ASSIGN_OR_RETURN(auto txn, store_.BeginRead());
  return AuthorizedBucket(*txn, req, action, object_level);
}

StatusOr<BucketRecord> S3Service::AuthorizedBucket(store::Txn& txn, const S3Request& req,
                                                   std::string_view action, bool object_level) {
  ASSIGN_OR_RETURN(std::optional<BucketRecord> bucket, LoadBucket(txn, req.bucket));
  if (!bucket) return NoSuchBucket(req.bucket);
  if (!object_level) {
    RETURN_IF_ERROR(Authorize(req, action, BucketArn(req.bucket), &*bucket));
    return std::move(*bucket);
  }
  const TagLoader existing_tags = [&] {
    return LoadExistingTags(txn, req.bucket, req.key, req.Query("versionId"));
  };
  RETURN_IF_ERROR(Authorize(req, action, ObjectArn(req.bucket, req.key), &*bucket, existing_tags));
  return std::move(*bucket);
}

void S3Service::RemoveBlobs(const std::vector<BlobRef>& parts) {
  // Their records are gone: a deletion lost in a crash leaves orphans for the
  // startup pass, so the answer does not wait for a directory fsync.
  for (const auto& part : parts) (void)blobs_.Discard(part.blob);
}

std::string BucketArn(std::string_view bucket) { return "arn:aws:s3:::" + std::string(bucket); }

std::string ObjectArn(std::string_view bucket, std::string_view key) {
  return "arn:aws:s3:::" + std::string(bucket) + "/" + std::string(key);
}

std::string HttpDate(std::int64_t ms) {
  const std::time_t t = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  const std::size_t n = std::strftime(buf, sizeof(buf), "%a, %d %b %Y %H:%M:%S GMT", &tm);
  return std::string(buf, n);
}

std::string IsoMillis(std::int64_t ms) {
  const std::time_t t = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  const std::size_t n = std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
  char out[80];
  std::snprintf(out, sizeof(out), "%.*s.%03dZ", static_cast<int>(n), buf, static_cast<int>(ms % 1000));
  return out;
}

std::optional<std::int64_t> ParseHttpDate(std::string_view text) {
  std::tm tm{};
  const std::string s(text);
  // IMF-fixdate, the obsolete RFC 850 form and ISO 8601, as S3 accepts.
  for (const char* format :
       {"%a, %d %b %Y %H:%M:%S GMT", "%A, %d-%b-%y %H:%M:%S GMT", "%Y-%m-%dT%H:%M:%SZ"}) {
    tm = {};
    const char* end = strptime(s.c_str(), format, &tm);
    if (end != nullptr && (*end == '\0' || *end == '.')) return static_cast<std::int64_t>(timegm(&tm)) * 1000;
  }
  return std::nullopt;
}

}  // namespace coffer::s3

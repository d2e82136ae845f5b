// Bucket policies: Put/Get/DeleteBucketPolicy, GetBucketPolicyStatus. The
// document is checked as S3 checks it (bucket_policy.h) and stored as put;
// authorization reads it from the bucket record (S3Service::Authorize).
#include "s3/bucket_policy.h"
#include "s3/errors.h"
#include "s3/ops.h"
#include "s3/xml.h"

namespace coffer::s3 {
namespace {

Status NoSuchBucketPolicy() { return S3Error("NoSuchBucketPolicy", "The bucket policy does not exist"); }

// The policy belongs to the bucket owner: another account's caller, even one
// the policy lets through, gets 405 (PutBucketPolicy's documented answer).
StatusOr<BucketRecord> OwnedBucket(S3Service& s3, const S3Request& req, std::string_view action) {
  ASSIGN_OR_RETURN(BucketRecord bucket, s3.AuthorizedBucket(req, action, false));
  if (req.who.caller.account != bucket.account) {
    return S3Error("MethodNotAllowed", "The specified method is not allowed against this resource.");
  }
  return bucket;
}

Status BlockedPublicPolicy(const S3Request& req, std::string_view bucket) {
  return S3Error("AccessDenied", "User: " + req.who.caller.arn +
                                     " is not authorized to perform: s3:PutBucketPolicy on resource: \"" +
                                     BucketArn(bucket) +
                                     "\" because public policies are blocked by the BlockPublicPolicy block "
                                     "public access setting.");
}

// Replaces the bucket's policy inside one write transaction, so a
// BlockPublicPolicy set concurrently is either seen here or set after.
Status StorePolicy(S3Service& s3, const S3Request& req, std::optional<std::string> text, bool is_public) {
  ASSIGN_OR_RETURN(auto txn, s3.store().BeginWrite());
  ASSIGN_OR_RETURN(std::optional<BucketRecord> bucket, LoadBucket(*txn, req.bucket));
  if (!bucket) return NoSuchBucket(req.bucket);
  if (is_public && bucket->public_access_block && bucket->public_access_block->block_public_policy) {
    return BlockedPublicPolicy(req, req.bucket);
  }
  bucket->policy = std::move(text);
  RETURN_IF_ERROR(txn->Put(kBucketsTable, req.bucket, EncodeBucket(*bucket)));
  return txn->Commit();
}

StatusOr<S3Reply> PutBucketPolicy(S3Service& s3, const S3Request& req) {
  RETURN_IF_ERROR(OwnedBucket(s3, req, "s3:PutBucketPolicy").status());
  ASSIGN_OR_RETURN(policy::Policy parsed, ParseBucketPolicy(req.body, req.bucket));
  RETURN_IF_ERROR(StorePolicy(s3, req, req.body, IsPublicPolicy(parsed)));
  S3Reply reply;
  reply.status = 204;
  return reply;
}

StatusOr<S3Reply> GetBucketPolicy(S3Service& s3, const S3Request& req) {
  ASSIGN_OR_RETURN(BucketRecord bucket, OwnedBucket(s3, req, "s3:GetBucketPolicy"));
  if (!bucket.policy) return NoSuchBucketPolicy();
  S3Reply reply;
  reply.headers.emplace_back("Content-Type", "application/json");
  reply.body = std::move(*bucket.policy);
  return reply;
}

StatusOr<S3Reply> DeleteBucketPolicy(S3Service& s3, const S3Request& req) {
  RETURN_IF_ERROR(OwnedBucket(s3, req, "s3:DeleteBucketPolicy").status());
  RETURN_IF_ERROR(StorePolicy(s3, req, std::nullopt, false));
  S3Reply reply;
  reply.status = 204;
  return reply;
}

StatusOr<S3Reply> GetBucketPolicyStatus(S3Service& s3, const S3Request& req) {
  ASSIGN_OR_RETURN(BucketRecord bucket, s3.AuthorizedBucket(req, "s3:GetBucketPolicyStatus", false));
  ASSIGN_OR_RETURN(std::shared_ptr<const policy::Policy> parsed, ParsedPolicyOf(bucket));
  if (parsed == nullptr) return NoSuchBucketPolicy();
  XmlOut xml("PolicyStatus");
  xml.Leaf("IsPublic", IsPublicPolicy(*parsed) ? "true" : "false");
  return XmlResponse(xml.Finish());
}

}  // namespace

std::vector<Operation> PolicyOperations() {
  return {
      {"PutBucketPolicy", PutBucketPolicy, nullptr},
      {"GetBucketPolicy", GetBucketPolicy, nullptr},
      {"DeleteBucketPolicy", DeleteBucketPolicy, nullptr},
      {"GetBucketPolicyStatus", GetBucketPolicyStatus, nullptr},
  };
}

}  // namespace coffer::s3

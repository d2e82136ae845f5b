// Bucket default encryption: Put/Get/DeleteBucketEncryption. The one rule is
// kept in the bucket record (BucketRecord::encryption); writes without
// encryption headers take it (encryption.h, SseChoiceOf).
#include <pugixml.hpp>

#include "s3/errors.h"
#include "s3/ops.h"
#include "s3/xml.h"

namespace coffer::s3 {
namespace {

bool KnownAlgorithm(std::string_view alg) {
  return alg == "AES256" || alg == "aws:kms" || alg == "aws:kms:dsse";
}

// <ServerSideEncryptionConfiguration><Rule><ApplyServerSideEncryptionByDefault>
// <SSEAlgorithm/><KMSMasterKeyID/></...><BucketKeyEnabled/></Rule></...>
StatusOr<BucketEncryption> ParseEncryptionXml(std::string_view body) {
  ASSIGN_OR_RETURN(XmlDoc doc, XmlDoc::Parse(body));
  ASSIGN_OR_RETURN(pugi::xml_node root, doc.Root("ServerSideEncryptionConfiguration"));
  const auto rules = Children(root, "Rule");
  if (rules.size() != 1) return MalformedXml();
  const pugi::xml_node& rule = rules.front();
  const auto defaults = Children(rule, "ApplyServerSideEncryptionByDefault");
  if (defaults.size() != 1) return MalformedXml();
  BucketEncryption out;
  out.algorithm = ChildText(defaults.front(), "SSEAlgorithm");
  if (!KnownAlgorithm(out.algorithm)) return MalformedXml();
  out.kms_key_id = ChildText(defaults.front(), "KMSMasterKeyID");
  if (HasChild(defaults.front(), "KMSMasterKeyID") && out.algorithm == "AES256") {
    return InvalidArgument(
        "a KMSMasterKeyID is not applicable if the default sse algorithm is not aws:kms or aws:kms:dsse");
  }
  if (HasChild(rule, "BucketKeyEnabled")) {
    const std::string enabled = ChildText(rule, "BucketKeyEnabled");
    if (enabled != "true" && enabled != "false") return MalformedXml();
    // Only SSE-KMS uses a Bucket Key; AWS stores the flag as given otherwise.
    out.bucket_key_enabled = enabled == "true";
  }
  return out;
}

Status StoreEncryption(S3Service& s3, std::string_view name, std::optional<BucketEncryption> encryption) {
  ASSIGN_OR_RETURN(auto txn, s3.store().BeginWrite());
  ASSIGN_OR_RETURN(std::optional<BucketRecord> bucket, LoadBucket(*txn, name));
  if (!bucket) return NoSuchBucket(name);
  bucket->encryption = std::move(encryption);
  RETURN_IF_ERROR(txn->Put(kBucketsTable, name, EncodeBucket(*bucket)));
  return txn->Commit();
}

StatusOr<S3Reply> PutBucketEncryption(S3Service& s3, const S3Request& req) {
  RETURN_IF_ERROR(s3.AuthorizedBucket(req, "s3:PutEncryptionConfiguration", false).status());
  ASSIGN_OR_RETURN(BucketEncryption encryption, ParseEncryptionXml(req.body));
  RETURN_IF_ERROR(StoreEncryption(s3, req.bucket, std::move(encryption)));
  return S3Reply{};
}

// A bucket without a rule of its own answers SSE-S3, as every AWS bucket
// has had default encryption since January 2023.
StatusOr<S3Reply> GetBucketEncryption(S3Service& s3, const S3Request& req) {
  ASSIGN_OR_RETURN(BucketRecord bucket, s3.AuthorizedBucket(req, "s3:GetEncryptionConfiguration", false));
  const BucketEncryption encryption = bucket.encryption.value_or(BucketEncryption{});
  XmlOut xml("ServerSideEncryptionConfiguration");
  xml.Open("Rule").Open("ApplyServerSideEncryptionByDefault").Leaf("SSEAlgorithm", encryption.algorithm);
  if (!encryption.kms_key_id.empty()) xml.Leaf("KMSMasterKeyID", encryption.kms_key_id);
  xml.Close().Leaf("BucketKeyEnabled", encryption.bucket_key_enabled ? "true" : "false").Close();
  return XmlResponse(xml.Finish());
}

StatusOr<S3Reply> DeleteBucketEncryption(S3Service& s3, const S3Request& req) {
  RETURN_IF_ERROR(s3.AuthorizedBucket(req, "s3:PutEncryptionConfiguration", false).status());
  RETURN_IF_ERROR(StoreEncryption(s3, req.bucket, std::nullopt));
  S3Reply reply;
  reply.status = 204;
  return reply;
}

}  // namespace

std::vector<Operation> EncryptionOperations() {
  return {
      {"PutBucketEncryption", PutBucketEncryption, nullptr},
      {"GetBucketEncryption", GetBucketEncryption, nullptr},
      {"DeleteBucketEncryption", DeleteBucketEncryption, nullptr},
  };
}

}  // namespace coffer::s3

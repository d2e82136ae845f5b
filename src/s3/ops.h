// The operations of the S3 service, one function each (ops_bucket.cc,
// ops_object.cc, ops_list.cc, ops_multipart.cc), and what they share.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "s3/service.h"

namespace coffer::s3 {

// Buckets.
StatusOr<S3Reply> CreateBucket(S3Service& s3, const S3Request& req);
StatusOr<S3Reply> HeadBucket(S3Service& s3, const S3Request& req);
StatusOr<S3Reply> DeleteBucket(S3Service& s3, const S3Request& req);
StatusOr<S3Reply> ListBuckets(S3Service& s3, const S3Request& req);
StatusOr<S3Reply> GetBucketLocation(S3Service& s3, const S3Request& req);
StatusOr<S3Reply> PutBucketTagging(S3Service& s3, const S3Request& req);
StatusOr<S3Reply> GetBucketTagging(S3Service& s3, const S3Request& req);
StatusOr<S3Reply> DeleteBucketTagging(S3Service& s3, const S3Request& req);
StatusOr<S3Reply> PutPublicAccessBlock(S3Service& s3, const S3Request& req);
StatusOr<S3Reply> GetPublicAccessBlock(S3Service& s3, const S3Request& req);
StatusOr<S3Reply> DeletePublicAccessBlock(S3Service& s3, const S3Request& req);
StatusOr<S3Reply> PutBucketVersioning(S3Service& s3, const S3Request& req);
StatusOr<S3Reply> GetBucketVersioning(S3Service& s3, const S3Request& req);

// Objects.
StatusOr<std::unique_ptr<UploadSink>> PutObject(S3Service& s3, const S3Request& req);
StatusOr<S3Reply> GetObject(S3Service& s3, const S3Request& req);
StatusOr<S3Reply> HeadObject(S3Service& s3, const S3Request& req);
StatusOr<S3Reply> DeleteObject(S3Service& s3, const S3Request& req);
StatusOr<S3Reply> DeleteObjects(S3Service& s3, const S3Request& req);
StatusOr<S3Reply> CopyObject(S3Service& s3, const S3Request& req);
StatusOr<S3Reply> PutObjectTagging(S3Service& s3, const S3Request& req);
StatusOr<S3Reply> GetObjectTagging(S3Service& s3, const S3Request& req);
StatusOr<S3Reply> DeleteObjectTagging(S3Service& s3, const S3Request& req);
StatusOr<S3Reply> GetObjectAttributes(S3Service& s3, const S3Request& req);

// Listings.
StatusOr<S3Reply> ListObjectsV2(S3Service& s3, const S3Request& req);
StatusOr<S3Reply> ListObjects(S3Service& s3, const S3Request& req);
StatusOr<S3Reply> ListMultipartUploads(S3Service& s3, const S3Request& req);
StatusOr<S3Reply> ListObjectVersions(S3Service& s3, const S3Request& req);

// Multipart uploads.
StatusOr<S3Reply> CreateMultipartUpload(S3Service& s3, const S3Request& req);
StatusOr<std::unique_ptr<UploadSink>> UploadPart(S3Service& s3, const S3Request& req);
StatusOr<S3Reply> UploadPartCopy(S3Service& s3, const S3Request& req);
StatusOr<S3Reply> CompleteMultipartUpload(S3Service& s3, const S3Request& req);
StatusOr<S3Reply> AbortMultipartUpload(S3Service& s3, const S3Request& req);
StatusOr<S3Reply> ListParts(S3Service& s3, const S3Request& req);

// Operation groups kept in their own files and joined into Operations().
std::vector<Operation> EncryptionOperations();  // ops_encryption.cc: bucket default encryption
std::vector<Operation> PolicyOperations();      // ops_policy.cc: bucket policies

// Shared helpers.
struct WrittenObject {
  std::vector<BlobRef> unreferenced;  // remove after commit
  bool versioned = false;             // answers carry x-amz-version-id
};
// Inside `txn`: the bucket must exist, the conditional-write headers
// (If-None-Match / If-Match) must hold, then `record` becomes the key's
// current version (versions.h).
StatusOr<WrittenObject> WriteObject(S3Service& s3, store::Txn& txn, const S3Request& req,
                                    ObjectRecord& record);
Status ValidateBucketName(std::string_view name);
Status ValidateKey(std::string_view key);
// The 64-hex canonical user id S3 shows as an Owner ID, derived from the account.
std::string CanonicalUserId(std::string_view account);
// A max-keys style parameter: digits only, capped at `cap`.
StatusOr<std::size_t> ParseMaxKeys(std::string_view text, std::string_view name, std::size_t cap);
// Content-Type, Content-Encoding ... and x-amz-meta-* of a request (2 KB metadata limit).
StatusOr<ContentHeaders> ContentHeadersOf(const S3Request& req);
// Headers every GET/HEAD of an object carries.
void AddObjectHeaders(const ObjectRecord& object, S3Reply& reply);
S3Reply XmlResponse(std::string body);

}  // namespace coffer::s3

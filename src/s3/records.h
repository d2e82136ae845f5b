// What S3 keeps about buckets, objects and multipart uploads, and where: four
// Store tables of JSON records. Object bytes are not here: they live in the
// blob store (blobs/), encrypted at rest, and a record lists the blobs that
// make its body in order (one for a PUT, one per part after a multipart
// upload, so completing an upload copies nothing).
//
//   s3_buckets  name                   -> BucketRecord
//   s3_objects  bucket "/" key         -> ObjectRecord (the current version, possibly a delete marker)
//   s3_versions bucket "/" key "\0" order -> ObjectRecord (noncurrent versions, newest first)
//   s3_uploads  bucket "/" upload id   -> UploadRecord
//   s3_parts    upload id "/" %05d     -> PartRecord
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/status_or.h"
#include "store/store.h"

namespace coffer::s3 {

inline constexpr std::string_view kBucketsTable = "s3_buckets";
inline constexpr std::string_view kObjectsTable = "s3_objects";
inline constexpr std::string_view kVersionsTable = "s3_versions";
inline constexpr std::string_view kUploadsTable = "s3_uploads";
inline constexpr std::string_view kPartsTable = "s3_parts";

using Tags = std::map<std::string, std::string>;

// A Scan limit meaning "every row" (a limit of 0 means none). Bounded lists
// only: buckets of an account, uploads of a bucket, parts of an upload.
inline constexpr std::size_t kAllRows = 1 << 20;

struct PublicAccessBlock {
  bool block_public_acls = false;
  bool ignore_public_acls = false;
  bool block_public_policy = false;
  bool restrict_public_buckets = false;
};

// Bucket default encryption (PutBucketEncryption's one rule).
struct BucketEncryption {
  std::string algorithm = "AES256";  // "AES256", "aws:kms" or "aws:kms:dsse"
  std::string kms_key_id;            // KMSMasterKeyID as given; empty: the AWS managed key
  bool bucket_key_enabled = false;
};

struct BucketRecord {
  std::string name;
  std::string account;
  std::string region;
  std::int64_t created_ms = 0;
  std::string versioning;  // "", "Enabled" or "Suspended"
  std::optional<Tags> tags;
  std::optional<PublicAccessBlock> public_access_block;
  std::optional<BucketEncryption> encryption;  // default encryption; none: SSE-S3
  std::optional<std::string> policy;           // the bucket policy document, as put
};

// The headers S3 stores with an object and returns on GET/HEAD.
struct ContentHeaders {
  std::string content_type;
  std::string content_encoding;
  std::string content_disposition;
  std::string content_language;
  std::string cache_control;
  std::string expires;
  std::map<std::string, std::string> metadata;  // x-amz-meta-* without the prefix, lower-case names
};

// How an object (or a multipart upload, and then each of its parts) is
// sealed beyond the blob store's at-rest layer (s3/encryption.h). An object
// without one is SSE-S3. No plaintext key is ever here: KMS modes keep the
// KMS ciphertext of their data key (or of the bucket key plus the salt the
// object key is derived with), SSE-C keeps a salted HMAC of the customer key.
struct SseState {
  std::string mode;         // "aws:kms", "aws:kms:dsse" or "SSE-C"
  std::string kms_key_arn;  // KMS modes: the key that made the data key
  std::string wrapped_key;  // base64 KMS ciphertext of the data key (or of the bucket key)
  bool bucket_key = false;  // wrapped_key is a bucket key; the object key is derived with `salt`
  std::string salt;         // base64: bucket-key derivation salt, or the SSE-C HMAC salt
  std::map<std::string, std::string> context;  // the KMS encryption context used (with aws:s3:arn)
  bool context_given = false;                  // the caller sent x-amz-server-side-encryption-context
  std::string customer_key_md5;                // SSE-C: base64 MD5 of the key, as S3 echoes it
  std::string customer_key_hmac;               // SSE-C: base64 HMAC-SHA256(salt, key)
};

struct BlobRef {
  std::string blob;
  std::uint64_t size = 0;
};

struct ObjectRecord {
  std::string bucket;
  std::string key;
  std::string etag;  // with quotes, as sent in ETag
  std::uint64_t size = 0;
  std::int64_t last_modified_ms = 0;
  ContentHeaders content;
  Tags tags;
  std::vector<BlobRef> parts;               // the body, in order; one entry unless multipart
  std::string checksum_algorithm;           // "CRC32" ..., empty when none was given
  std::string checksum;                     // base64, of the whole object (single PUT) or composite
  std::string checksum_type;                // multipart: "COMPOSITE" or "FULL_OBJECT"; empty otherwise
  std::vector<std::string> part_checksums;  // multipart with a checksum: each part's, in order
  std::string storage_class = "STANDARD";
  std::string version_id = "null";  // "null" unless written while versioning was enabled
  std::string order;                // 16 hex digits, smaller = newer (s3_versions row order)
  bool delete_marker = false;
  std::optional<SseState> sse;  // none: SSE-S3
};

struct UploadRecord {
  std::string upload_id;
  std::string bucket;
  std::string key;
  std::string account;
  std::string initiator_arn;
  std::int64_t initiated_ms = 0;
  ContentHeaders content;
  Tags tags;
  std::string checksum_algorithm;
  std::string checksum_type;  // "COMPOSITE" or "FULL_OBJECT" when checksum_algorithm is set
  std::string storage_class = "STANDARD";
  std::optional<SseState> sse;  // chosen at creation; every part and the object use it
};

struct PartRecord {
  int number = 0;
  std::string blob;
  std::uint64_t size = 0;
  std::string etag;  // with quotes
  std::int64_t last_modified_ms = 0;
  std::string checksum;  // base64 of the upload's algorithm, when it has one
};

std::string EncodeBucket(const BucketRecord& r);
StatusOr<BucketRecord> DecodeBucket(std::string_view text);
std::string EncodeObject(const ObjectRecord& r);
StatusOr<ObjectRecord> DecodeObject(std::string_view text);
std::string EncodeUpload(const UploadRecord& r);
StatusOr<UploadRecord> DecodeUpload(std::string_view text);
std::string EncodePart(const PartRecord& r);
StatusOr<PartRecord> DecodePart(std::string_view text);

std::string ObjectRowKey(std::string_view bucket, std::string_view key);
std::string PartRowKey(std::string_view upload_id, int number);

// Typed reads inside a transaction; nullopt when absent.
StatusOr<std::optional<BucketRecord>> LoadBucket(store::Txn& txn, std::string_view name);
StatusOr<std::optional<ObjectRecord>> LoadObject(store::Txn& txn, std::string_view bucket,
                                                 std::string_view key);
std::string UploadRowKey(std::string_view bucket, std::string_view upload_id);
StatusOr<std::optional<UploadRecord>> LoadUpload(store::Txn& txn, std::string_view bucket,
                                                 std::string_view upload_id);

}  // namespace coffer::s3

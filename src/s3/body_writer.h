// Writes an uploaded body (PutObject, UploadPart) into a new blob while
// summing what S3 checks and returns: the MD5 (ETag, Content-MD5) and the
// flexible checksum the client chose (x-amz-checksum-* header, or a trailer).
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "blobs/blob_store.h"
#include "crypto/checksum.h"
#include "s3/service.h"

namespace coffer::s3 {

// What the client declared about the body before sending it.
struct BodyClaims {
  std::string content_md5;  // base64, from Content-MD5; empty when absent
  std::optional<crypto::ChecksumAlgorithm> algorithm;
  std::string checksum;  // base64 from x-amz-checksum-<alg>; empty when it comes in a trailer or not at all
};

// Reads Content-MD5, x-amz-checksum-*, x-amz-sdk-checksum-algorithm and
// x-amz-trailer; InvalidDigest / InvalidRequest for malformed ones.
StatusOr<BodyClaims> BodyClaimsOf(const S3Request& req);

// The same claims checked over a small body already in memory (the XML
// bodies of DeleteObjects, CompleteMultipartUpload, Put*Tagging ...).
Status CheckBodyClaims(const S3Request& req);

struct WrittenBody {
  std::string blob;
  std::uint64_t size = 0;
  std::string md5_hex;
  std::string checksum;  // base64, when an algorithm was in play
};

class BodyWriter {
 public:
  // A new blob sealed with `keys` (which need only outlive this call).
  static StatusOr<std::unique_ptr<BodyWriter>> Start(blobs::BlobStore& blobs, BodyClaims claims,
                                                     const blobs::BlobKeys& keys);
  Status Write(std::string_view data);
  // `trailer_checksum`: the value a trailer carried (already checked by the
  // chunk decoder against the bytes); checks the claims and commits the blob.
  StatusOr<WrittenBody> Commit(const std::string& trailer_checksum);

 private:
  BodyWriter(std::unique_ptr<blobs::BlobWriter> writer, BodyClaims claims);
  std::unique_ptr<blobs::BlobWriter> writer_;
  BodyClaims claims_;
  crypto::Md5 md5_;
  std::unique_ptr<crypto::Checksum> checksum_;
  std::uint64_t size_ = 0;
};

}  // namespace coffer::s3

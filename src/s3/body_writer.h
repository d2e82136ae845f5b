// Writes an uploaded body (PutObject, UploadPart) into a new blob while
// summing what S3 checks and returns: the MD5 (ETag, Content-MD5), the
// flexible checksum the client chose (x-amz-checksum-* header, or a trailer)
// and, where S3 adds one by default, a CRC64NVME.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "blobs/blob_store.h"
#include "crypto/checksum.h"
#include "s3/service.h"
#include "server/http_exchange.h"

namespace coffer::s3 {

// What the client declared about the body before sending it.
struct BodyClaims {
  std::string content_md5;  // base64, from Content-MD5; empty when absent
  std::optional<crypto::ChecksumAlgorithm> algorithm;
  std::string checksum;  // base64 from x-amz-checksum-<alg>; empty when it comes in a trailer or not at all
  // Also sum a CRC64NVME beside `algorithm` (WrittenBody::crc64nvme).
  bool also_crc64nvme = false;
};

// S3's default data integrity protection: a body that comes with no
// checksum at all gets a CRC64NVME, summed by the server as it streams.
void UseDefaultChecksum(BodyClaims& claims);

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
  // base64, when the algorithm is CRC64NVME or the claims asked for it too
  std::string crc64nvme;
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
  std::unique_ptr<crypto::Checksum> crc64nvme_;  // only when it is not checksum_
  std::uint64_t size_ = 0;
};

// A body source that sums what passes through it (the copies of CopyObject
// and UploadPartCopy, which read the source object once).
class SummingSource final : public server::BodySource {
 public:
  SummingSource(server::BodySource& inner, crypto::Checksum& sum) : inner_(inner), sum_(sum) {}
  StatusOr<std::size_t> Read(std::span<char> out) override;

 private:
  server::BodySource& inner_;
  crypto::Checksum& sum_;
};

}  // namespace coffer::s3

#include "s3/body_writer.h"

#include "common/encoding.h"
#include "s3/errors.h"

namespace coffer::s3 {
namespace {

std::optional<crypto::ChecksumAlgorithm> HeaderChecksum(const S3Request& req, std::string* out_value) {
  for (const auto& [name, value] : req.headers) {
    if (auto alg = crypto::ChecksumAlgorithmFromHeader(name)) {
      *out_value = value;
      return alg;
    }
  }
  return std::nullopt;
}

}  // namespace

StatusOr<BodyClaims> BodyClaimsOf(const S3Request& req) {
  BodyClaims claims;
  claims.content_md5 = std::string(req.Header("content-md5"));
  if (req.HasHeader("content-md5")) {
    std::optional<Bytes> raw = Base64Decode(claims.content_md5);
    if (!raw || raw->size() != 16)
      return S3Error("InvalidDigest", "The Content-MD5 you specified was invalid.");
  }
  std::string value;
  claims.algorithm = HeaderChecksum(req, &value);
  if (claims.algorithm) {
    std::optional<Bytes> raw = Base64Decode(value);
    if (!raw || raw->size() != crypto::ChecksumDigestLen(*claims.algorithm)) {
      return InvalidRequest("Value for " + std::string(crypto::ChecksumHeaderName(*claims.algorithm)) +
                            " header is invalid.");
    }
    claims.checksum = value;
    return claims;
  }
  if (std::string_view trailer = req.Header("x-amz-trailer"); !trailer.empty()) {
    claims.algorithm = crypto::ChecksumAlgorithmFromHeader(trailer);
    if (!claims.algorithm)
      return InvalidRequest("The value specified in the x-amz-trailer header is not supported");
    return claims;
  }
  for (std::string_view name : {"x-amz-sdk-checksum-algorithm", "x-amz-checksum-algorithm"}) {
    if (std::string_view alg = req.Header(name); !alg.empty()) {
      claims.algorithm = crypto::ChecksumAlgorithmFromName(alg);
      if (!claims.algorithm) return InvalidRequest("Checksum algorithm provided is unsupported.");
    }
  }
  return claims;
}

void UseDefaultChecksum(BodyClaims& claims) {
  if (!claims.algorithm) claims.algorithm = crypto::ChecksumAlgorithm::kCrc64Nvme;
}

Status CheckBodyClaims(const S3Request& req) {
  ASSIGN_OR_RETURN(BodyClaims claims, BodyClaimsOf(req));
  if (!claims.content_md5.empty()) {
    crypto::Md5 md5;
    md5.Update(req.body);
    if (md5.FinishBase64() != claims.content_md5) {
      return S3Error("BadDigest", "The Content-MD5 you specified did not match what we received.");
    }
  }
  if (claims.algorithm && !claims.checksum.empty() &&
      crypto::ChecksumBase64(*claims.algorithm, req.body) != claims.checksum) {
    return S3Error("BadDigest", "The " + std::string(crypto::ChecksumName(*claims.algorithm)) +
                                    " you specified did not match the calculated checksum.");
  }
  return Status::Ok();
}

BodyWriter::BodyWriter(std::unique_ptr<blobs::BlobWriter> writer, BodyClaims claims)
    : writer_(std::move(writer)), claims_(std::move(claims)) {
  if (claims_.algorithm) checksum_ = crypto::Checksum::New(*claims_.algorithm);
  if (claims_.also_crc64nvme && claims_.algorithm != crypto::ChecksumAlgorithm::kCrc64Nvme) {
    crc64nvme_ = crypto::Checksum::New(crypto::ChecksumAlgorithm::kCrc64Nvme);
  }
}

StatusOr<std::unique_ptr<BodyWriter>> BodyWriter::Start(blobs::BlobStore& blobs, BodyClaims claims,
                                                        const blobs::BlobKeys& keys) {
  ASSIGN_OR_RETURN(auto writer, blobs.Create(keys));
  return std::unique_ptr<BodyWriter>(new BodyWriter(std::move(writer), std::move(claims)));
}

Status BodyWriter::Write(std::string_view data) {
  md5_.Update(data);
  if (checksum_) checksum_->Update(data);
  if (crc64nvme_) crc64nvme_->Update(data);
  size_ += data.size();
  return writer_->Write(data);
}

StatusOr<WrittenBody> BodyWriter::Commit(const std::string& trailer_checksum) {
  WrittenBody out;
  const Bytes digest = md5_.Finish();
  out.md5_hex = HexEncode(digest);
  if (!claims_.content_md5.empty() && Base64Encode(digest) != claims_.content_md5) {
    return S3Error("BadDigest", "The Content-MD5 you specified did not match what we received.");
  }
  if (checksum_) {
    out.checksum = checksum_->FinishBase64();
    const std::string& claimed = claims_.checksum.empty() ? trailer_checksum : claims_.checksum;
    if (!claimed.empty() && claimed != out.checksum) {
      return S3Error("BadDigest", "The " + std::string(crypto::ChecksumName(*claims_.algorithm)) +
                                      " you specified did not match the calculated checksum.");
    }
    if (claims_.algorithm == crypto::ChecksumAlgorithm::kCrc64Nvme) out.crc64nvme = out.checksum;
  }
  if (crc64nvme_) out.crc64nvme = crc64nvme_->FinishBase64();
  ASSIGN_OR_RETURN(blobs::BlobInfo info, writer_->Commit());
  out.blob = info.id;
  out.size = size_;
  return out;
}

StatusOr<std::size_t> SummingSource::Read(std::span<char> out) {
  ASSIGN_OR_RETURN(std::size_t n, inner_.Read(out));
  sum_.Update(std::string_view(out.data(), n));
  return n;
}

}  // namespace coffer::s3

#include "s3/payload.h"

#include "common/encoding.h"
#include "s3/errors.h"

namespace coffer::s3 {

StatusOr<std::unique_ptr<PayloadCheck>> PayloadCheck::For(const auth::HttpRequest& head,
                                                          auth::VerifiedIdentity& identity) {
  std::unique_ptr<PayloadCheck> check(new PayloadCheck());
  if (auth::StreamingModeFor(identity.payload_hash)) {
    ASSIGN_OR_RETURN(auth::ChunkedOptions options, auth::ChunkedOptionsFor(head, identity));
    check->chunked_ = std::make_unique<auth::AwsChunkedDecoder>(std::move(options));
  } else if (identity.payload_hash != "UNSIGNED-PAYLOAD") {
    check->hasher_ = std::make_unique<crypto::Sha256Hasher>();
    check->expected_hex_ = identity.payload_hash;
  }
  return check;
}

Status PayloadCheck::Feed(std::string_view in, const Sink& sink) {
  if (chunked_) return chunked_->Feed(in, sink);
  if (hasher_) hasher_->Update(AsBytes(in));
  return sink(in);
}

Status PayloadCheck::Finish() {
  if (chunked_) return chunked_->Finish();
  if (hasher_) {
    const crypto::Sha256Digest digest = hasher_->Final();
    if (HexEncode(ByteView(digest.data(), digest.size())) != expected_hex_) {
      return S3Error("XAmzContentSHA256Mismatch",
                     "The provided 'x-amz-content-sha256' header does not match what was computed.");
    }
  }
  return Status::Ok();
}

std::string PayloadCheck::trailer_checksum() const {
  if (chunked_ && chunked_->trailer_checksum()) return *chunked_->trailer_checksum();
  return {};
}

}  // namespace coffer::s3

// Checks a streamed request body against what its signature claimed
// (x-amz-content-sha256): a hex SHA-256 of the body, UNSIGNED-PAYLOAD, or an
// aws-chunked body with chunk signatures and a trailing checksum, which is
// decoded here. Bytes handed on are provisional until Finish() returns OK.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "auth/aws_chunked.h"
#include "auth/sigv4.h"
#include "crypto/crypto.h"

namespace coffer::s3 {

class PayloadCheck {
 public:
  using Sink = auth::AwsChunkedDecoder::Sink;
  // `identity` from Verify with body_follows and want_signing_key.
  static StatusOr<std::unique_ptr<PayloadCheck>> For(const auth::HttpRequest& head,
                                                     auth::VerifiedIdentity& identity);

  Status Feed(std::string_view in, const Sink& sink);
  Status Finish();
  // The trailer's checksum (base64), when an aws-chunked body carried one.
  std::string trailer_checksum() const;

 private:
  PayloadCheck() = default;
  std::unique_ptr<auth::AwsChunkedDecoder> chunked_;
  std::unique_ptr<crypto::Sha256Hasher> hasher_;  // hex payload hash
  std::string expected_hex_;
};

}  // namespace coffer::s3

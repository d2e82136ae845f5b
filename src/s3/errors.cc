#include "s3/errors.h"

#include <array>

namespace coffer::s3 {
namespace {

// S3's codes and statuses (Amazon S3 API Reference, "Error responses").
constexpr S3ErrorInfo kCodes[] = {
    {"AccessDenied", 403},
    {"AuthorizationHeaderMalformed", 400},
    {"BadDigest", 400},
    {"BucketAlreadyExists", 409},
    {"BucketAlreadyOwnedByYou", 409},
    {"BucketNotEmpty", 409},
    {"EntityTooLarge", 400},
    {"EntityTooSmall", 400},
    {"ExpiredToken", 400},
    {"IllegalLocationConstraintException", 400},
    {"IncompleteBody", 400},
    {"InternalError", 500},
    {"InvalidAccessKeyId", 403},
    {"InvalidArgument", 400},
    {"InvalidBucketName", 400},
    {"InvalidDigest", 400},
    {"InvalidLocationConstraint", 400},
    {"InvalidPart", 400},
    {"InvalidPartOrder", 400},
    {"InvalidRange", 416},
    {"InvalidRequest", 400},
    {"InvalidTag", 400},
    {"InvalidToken", 400},
    {"KeyTooLongError", 400},
    {"MalformedXML", 400},
    {"MetadataTooLarge", 400},
    {"MethodNotAllowed", 405},
    {"MissingContentLength", 411},
    {"MissingSecurityHeader", 400},
    {"NoSuchBucket", 404},
    {"NoSuchKey", 404},
    {"NoSuchTagSet", 404},
    {"NoSuchUpload", 404},
    {"NoSuchVersion", 404},
    {"NoSuchPublicAccessBlockConfiguration", 404},
    {"NotImplemented", 501},
    {"NotModified", 304},
    {"PreconditionFailed", 412},
    {"RequestTimeTooSkewed", 403},
    {"ServiceUnavailable", 503},
    {"SignatureDoesNotMatch", 403},
    {"SlowDown", 503},
    {"XAmzContentSHA256Mismatch", 400},
    {"ConditionalRequestConflict", 409},
    {"MalformedTrailerError", 400},
    {"InvalidURI", 400},
    {"InvalidPartNumber", 416},
    {"MaxMessageLengthExceeded", 400},
    {"MalformedPolicy", 400},
    {"NoSuchBucketPolicy", 404},
};

// What the shared codes are called in S3.
S3ErrorInfo ForGeneric(ErrorCode code) {
  switch (code) {
    case ErrorCode::kMissingAuthenticationToken:
    case ErrorCode::kAccessDenied:
      return {"AccessDenied", 403};
    case ErrorCode::kIncompleteSignature:
      return {"AuthorizationHeaderMalformed", 400};
    case ErrorCode::kInvalidSignature:
      return {"SignatureDoesNotMatch", 403};
    case ErrorCode::kUnrecognizedClient:
      return {"InvalidAccessKeyId", 403};
    case ErrorCode::kSignatureExpired:
      return {"RequestTimeTooSkewed", 403};
    case ErrorCode::kExpiredToken:
      return {"ExpiredToken", 400};
    case ErrorCode::kRequestTooLarge:
      return {"EntityTooLarge", 400};
    case ErrorCode::kThrottling:
      return {"SlowDown", 503};
    case ErrorCode::kUnavailable:
    case ErrorCode::kDependencyTimeout:
      return {"ServiceUnavailable", 503};
    case ErrorCode::kValidation:
    case ErrorCode::kSerialization:
      return {"InvalidArgument", 400};
    case ErrorCode::kNotFound:
      return {"NoSuchKey", 404};
    case ErrorCode::kMethodNotAllowed:
      return {"MethodNotAllowed", 405};
    case ErrorCode::kNotImplemented:
      return {"NotImplemented", 501};
    default:
      return {"InternalError", 500};
  }
}

}  // namespace

Status S3Error(std::string_view code, std::string message) {
  return Status(ErrorCode::kValidation, std::move(message)).Named(code);
}

S3ErrorInfo S3ErrorFor(const Status& status) {
  if (!status.type().empty()) {
    for (const auto& info : kCodes) {
      if (info.code == status.type()) return info;
    }
    // A KMS error met on S3's behalf keeps its own name (KMS.NotFoundException ...).
    return {status.type(), status.code() == ErrorCode::kInternal ? 500 : 400};
  }
  return ForGeneric(status.code());
}

Status NoSuchBucket(std::string_view bucket) {
  (void)bucket;
  return S3Error("NoSuchBucket", "The specified bucket does not exist");
}
Status NoSuchKey(std::string_view key) {
  (void)key;
  return S3Error("NoSuchKey", "The specified key does not exist.");
}
Status NoSuchUpload(std::string_view upload_id) {
  (void)upload_id;
  return S3Error("NoSuchUpload",
                 "The specified upload does not exist. The upload ID may be invalid, or the upload may have "
                 "been aborted or completed.");
}
Status InvalidArgument(std::string message) { return S3Error("InvalidArgument", std::move(message)); }
Status InvalidRequest(std::string message) { return S3Error("InvalidRequest", std::move(message)); }
Status MalformedXml() {
  return S3Error("MalformedXML",
                 "The XML you provided was not well-formed or did not validate against our published schema");
}

}  // namespace coffer::s3

// Errors are values. A Status is an AWS error kind plus a client-safe message;
// the server maps the kind to the wire name and HTTP status through one table
// (src/server/error_table.cc). Messages must never carry plaintext, key
// material or secret values.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

namespace coffer {

enum class ErrorCode : std::uint8_t {
  kOk = 0,
  // Protocol and authentication errors shared by every JSON 1.1 service.
  kValidation,                  // ValidationException
  kSerialization,               // SerializationException
  kUnknownOperation,            // UnknownOperationException
  kMissingAuthenticationToken,  // MissingAuthenticationTokenException
  kIncompleteSignature,         // IncompleteSignatureException
  kInvalidSignature,            // InvalidSignatureException
  kUnrecognizedClient,          // UnrecognizedClientException
  kSignatureExpired,            // InvalidSignatureException (Signature expired)
  kAccessDenied,                // AccessDeniedException
  kRequestTooLarge,             // RequestEntityTooLargeException (413)
  kThrottling,                  // ThrottlingException
  kInternal,                    // KMSInternalException / InternalFailure
  kUnavailable,                 // ServiceUnavailableException (shutting down)
  // KMS error shapes.
  kNotFound,                 // NotFoundException
  kDisabled,                 // DisabledException
  kInvalidState,             // KMSInvalidStateException
  kAlreadyExists,            // AlreadyExistsException
  kInvalidCiphertext,        // InvalidCiphertextException
  kIncorrectKey,             // IncorrectKeyException
  kInvalidKeyUsage,          // InvalidKeyUsageException
  kInvalidArn,               // InvalidArnException
  kInvalidAliasName,         // InvalidAliasNameException
  kInvalidMarker,            // InvalidMarkerException
  kInvalidGrantToken,        // InvalidGrantTokenException
  kLimitExceeded,            // LimitExceededException
  kMalformedPolicyDocument,  // MalformedPolicyDocumentException
  kTag,                      // TagException
  kUnsupportedOperation,     // UnsupportedOperationException
  kDependencyTimeout,        // DependencyTimeoutException
  kConflict,                 // ConflictException
  kDryRunOperation,          // DryRunOperationException
  // CloudTrail error shapes (LookupEvents).
  kInvalidNextToken,         // InvalidNextTokenException
  kInvalidLookupAttributes,  // InvalidLookupAttributesException
  kInvalidTimeRange,         // InvalidTimeRangeException
  // Asymmetric, HMAC and imported keys.
  kKmsInvalidSignature,   // KMSInvalidSignatureException
  kKmsInvalidMac,         // KMSInvalidMacException
  kIncorrectKeyMaterial,  // IncorrectKeyMaterialException
  kExpiredImportToken,    // ExpiredImportTokenException
  kInvalidImportToken,    // InvalidImportTokenException
  // Temporary credentials (STS sessions) past their expiry.
  kExpiredToken,  // ExpiredTokenException (JSON), ExpiredToken (Query)
  // REST (S3) routing: a resource that exists but not for this method (405),
  // and a request shape the server does not implement (501).
  kMethodNotAllowed,  // MethodNotAllowed
  kNotImplemented,    // NotImplemented
  // KMS custom key stores (AWS_CLOUDHSM and EXTERNAL_KEY_STORE management).
  kCustomKeyStoreNotFound,               // CustomKeyStoreNotFoundException
  kCustomKeyStoreInvalidState,           // CustomKeyStoreInvalidStateException
  kCustomKeyStoreNameInUse,              // CustomKeyStoreNameInUseException
  kCustomKeyStoreHasCmks,                // CustomKeyStoreHasCMKsException
  kCloudHsmClusterInUse,                 // CloudHsmClusterInUseException
  kCloudHsmClusterNotFound,              // CloudHsmClusterNotFoundException
  kCloudHsmClusterNotRelated,            // CloudHsmClusterNotRelatedException
  kCloudHsmClusterInvalidConfiguration,  // CloudHsmClusterInvalidConfigurationException
  kIncorrectTrustAnchor,                 // IncorrectTrustAnchorException
};

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(ErrorCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status Ok() { return {}; }

  bool ok() const { return code_ == ErrorCode::kOk; }
  ErrorCode code() const { return code_; }
  const std::string& message() const { return message_; }

  // A service's own name for this error on the wire ("ResourceNotFoundException"
  // for Secrets Manager's kNotFound), keeping the code's meaning and HTTP
  // status. `type` must outlive the Status: pass a string literal.
  Status Named(std::string_view type) && {
    type_ = type;
    return std::move(*this);
  }
  // The service-specific name, or empty for the shared one (ErrorName(code())).
  std::string_view type() const { return type_; }

  // For logs and test failure output; never includes secrets because messages never do.
  std::string ToString() const;

 private:
  ErrorCode code_ = ErrorCode::kOk;
  std::string message_;
  std::string_view type_;
};

inline Status ValidationError(std::string message) { return {ErrorCode::kValidation, std::move(message)}; }
inline Status InternalError(std::string message) { return {ErrorCode::kInternal, std::move(message)}; }
inline Status NotFoundError(std::string message) { return {ErrorCode::kNotFound, std::move(message)}; }

// The AWS `__type` name for an error code, e.g. "NotFoundException".
std::string_view ErrorName(ErrorCode code);
// The name the status goes out under: its own type() when set, else ErrorName.
std::string_view WireName(const Status& status);

}  // namespace coffer

#define COFFER_CONCAT_INNER(a, b) a##b
#define COFFER_CONCAT(a, b) COFFER_CONCAT_INNER(a, b)

#define RETURN_IF_ERROR(expr)          \
  do {                                 \
    ::coffer::Status _status = (expr); \
    if (!_status.ok()) return _status; \
  } while (0)

#define ASSIGN_OR_RETURN(lhs, expr) ASSIGN_OR_RETURN_IMPL(COFFER_CONCAT(_status_or_, __LINE__), lhs, expr)

#define ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr)    \
  auto tmp = (expr);                             \
  if (!tmp.ok()) return std::move(tmp).status(); \
  lhs = std::move(tmp).value()

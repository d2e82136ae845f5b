#include "common/status.h"

#include <array>

namespace coffer {
namespace {

struct NameEntry {
  ErrorCode code;
  std::string_view name;
};

constexpr std::array kNames = {
    NameEntry{ErrorCode::kOk, "OK"},
    NameEntry{ErrorCode::kValidation, "ValidationException"},
    NameEntry{ErrorCode::kSerialization, "SerializationException"},
    NameEntry{ErrorCode::kUnknownOperation, "UnknownOperationException"},
    NameEntry{ErrorCode::kMissingAuthenticationToken, "MissingAuthenticationTokenException"},
    NameEntry{ErrorCode::kIncompleteSignature, "IncompleteSignatureException"},
    NameEntry{ErrorCode::kInvalidSignature, "InvalidSignatureException"},
    NameEntry{ErrorCode::kUnrecognizedClient, "UnrecognizedClientException"},
    NameEntry{ErrorCode::kSignatureExpired, "InvalidSignatureException"},
    NameEntry{ErrorCode::kAccessDenied, "AccessDeniedException"},
    NameEntry{ErrorCode::kRequestTooLarge, "RequestEntityTooLargeException"},
    NameEntry{ErrorCode::kThrottling, "ThrottlingException"},
    NameEntry{ErrorCode::kInternal, "KMSInternalException"},
    NameEntry{ErrorCode::kUnavailable, "ServiceUnavailableException"},
    NameEntry{ErrorCode::kNotFound, "NotFoundException"},
    NameEntry{ErrorCode::kDisabled, "DisabledException"},
    NameEntry{ErrorCode::kInvalidState, "KMSInvalidStateException"},
    NameEntry{ErrorCode::kAlreadyExists, "AlreadyExistsException"},
    NameEntry{ErrorCode::kInvalidCiphertext, "InvalidCiphertextException"},
    NameEntry{ErrorCode::kIncorrectKey, "IncorrectKeyException"},
    NameEntry{ErrorCode::kInvalidKeyUsage, "InvalidKeyUsageException"},
    NameEntry{ErrorCode::kInvalidArn, "InvalidArnException"},
    NameEntry{ErrorCode::kInvalidAliasName, "InvalidAliasNameException"},
    NameEntry{ErrorCode::kInvalidMarker, "InvalidMarkerException"},
    NameEntry{ErrorCode::kInvalidGrantToken, "InvalidGrantTokenException"},
    NameEntry{ErrorCode::kLimitExceeded, "LimitExceededException"},
    NameEntry{ErrorCode::kMalformedPolicyDocument, "MalformedPolicyDocumentException"},
    NameEntry{ErrorCode::kTag, "TagException"},
    NameEntry{ErrorCode::kUnsupportedOperation, "UnsupportedOperationException"},
    NameEntry{ErrorCode::kDependencyTimeout, "DependencyTimeoutException"},
    NameEntry{ErrorCode::kConflict, "ConflictException"},
    NameEntry{ErrorCode::kDryRunOperation, "DryRunOperationException"},
    NameEntry{ErrorCode::kInvalidNextToken, "InvalidNextTokenException"},
    NameEntry{ErrorCode::kInvalidLookupAttributes, "InvalidLookupAttributesException"},
    NameEntry{ErrorCode::kInvalidTimeRange, "InvalidTimeRangeException"},
    NameEntry{ErrorCode::kKmsInvalidSignature, "KMSInvalidSignatureException"},
    NameEntry{ErrorCode::kKmsInvalidMac, "KMSInvalidMacException"},
    NameEntry{ErrorCode::kIncorrectKeyMaterial, "IncorrectKeyMaterialException"},
    NameEntry{ErrorCode::kExpiredImportToken, "ExpiredImportTokenException"},
    NameEntry{ErrorCode::kInvalidImportToken, "InvalidImportTokenException"},
    NameEntry{ErrorCode::kExpiredToken, "ExpiredTokenException"},
    NameEntry{ErrorCode::kMethodNotAllowed, "MethodNotAllowed"},
    NameEntry{ErrorCode::kNotImplemented, "NotImplemented"},
    NameEntry{ErrorCode::kCustomKeyStoreNotFound, "CustomKeyStoreNotFoundException"},
    NameEntry{ErrorCode::kCustomKeyStoreInvalidState, "CustomKeyStoreInvalidStateException"},
    NameEntry{ErrorCode::kCustomKeyStoreNameInUse, "CustomKeyStoreNameInUseException"},
    NameEntry{ErrorCode::kCustomKeyStoreHasCmks, "CustomKeyStoreHasCMKsException"},
    NameEntry{ErrorCode::kCloudHsmClusterInUse, "CloudHsmClusterInUseException"},
    NameEntry{ErrorCode::kCloudHsmClusterNotFound, "CloudHsmClusterNotFoundException"},
    NameEntry{ErrorCode::kCloudHsmClusterNotRelated, "CloudHsmClusterNotRelatedException"},
    NameEntry{ErrorCode::kCloudHsmClusterInvalidConfiguration,
              "CloudHsmClusterInvalidConfigurationException"},
    NameEntry{ErrorCode::kIncorrectTrustAnchor, "IncorrectTrustAnchorException"},
};

}  // namespace

std::string_view WireName(const Status& status) {
  return status.type().empty() ? ErrorName(status.code()) : status.type();
}

std::string_view ErrorName(ErrorCode code) {
  for (const auto& entry : kNames) {
    if (entry.code == code) return entry.name;
  }
  return "KMSInternalException";
}

std::string Status::ToString() const {
  if (ok()) return "OK";
  return std::string(type_.empty() ? ErrorName(code_) : type_) + ": " + message_;
}

}  // namespace coffer

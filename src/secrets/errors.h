// Secrets Manager's error names (API reference, "Errors" of each operation),
// each on the shared code whose HTTP status AWS uses for it (400 unless said).
#pragma once

#include <string>

#include "common/status.h"

namespace coffer::secrets {

inline Status ResourceNotFound(std::string message) {
  return Status(ErrorCode::kNotFound, std::move(message)).Named("ResourceNotFoundException");
}
inline Status SecretNotFound() {
  return ResourceNotFound("Secrets Manager can't find the specified secret.");
}
inline Status InvalidRequest(std::string message) {
  return Status(ErrorCode::kInvalidState, std::move(message)).Named("InvalidRequestException");
}
inline Status InvalidParameter(std::string message) {
  return Status(ErrorCode::kValidation, std::move(message)).Named("InvalidParameterException");
}
inline Status ResourceExists(std::string message) {
  return Status(ErrorCode::kAlreadyExists, std::move(message)).Named("ResourceExistsException");
}
inline Status LimitExceeded(std::string message) { return {ErrorCode::kLimitExceeded, std::move(message)}; }
inline Status DecryptionFailure(std::string message) {
  return Status(ErrorCode::kInvalidCiphertext, std::move(message)).Named("DecryptionFailure");
}
inline Status EncryptionFailure(std::string message) {
  return Status(ErrorCode::kDisabled, std::move(message)).Named("EncryptionFailure");
}
inline Status MalformedPolicy(std::string message) {
  return {ErrorCode::kMalformedPolicyDocument, std::move(message)};
}
inline Status PublicPolicy(std::string message) {
  return Status(ErrorCode::kValidation, std::move(message)).Named("PublicPolicyException");
}
inline Status PreconditionNotMet(std::string message) {
  return Status(ErrorCode::kConflict, std::move(message)).Named("PreconditionNotMetException");
}
inline Status DeletedSecret() {
  return InvalidRequest("You can't perform this operation on the secret because it was marked for deletion.");
}

}  // namespace coffer::secrets

// Parameter Store's error names (SSM API reference, "Errors" of each
// operation). AWS answers all of them with HTTP 400, so they ride on
// kValidation with the service's own name on the wire.
#pragma once

#include <string>
#include <string_view>

#include "common/status.h"

namespace coffer::ssm {

// `name` must be a string literal (Status::Named keeps the view).
inline Status SsmError(std::string_view name, std::string message) {
  return Status(ErrorCode::kValidation, std::move(message)).Named(name);
}
inline Status ParameterNotFound() { return SsmError("ParameterNotFound", ""); }
inline Status Invalid(std::string message) { return Status(ErrorCode::kValidation, std::move(message)); }

}  // namespace coffer::ssm

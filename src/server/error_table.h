// One table maps an ErrorCode to the AWS error name and HTTP status.
#pragma once

#include <string_view>

#include "common/status.h"

namespace coffer::server {

struct ErrorInfo {
  std::string_view type;  // AWS `__type`
  int http_status;
};

ErrorInfo LookupError(ErrorCode code);

}  // namespace coffer::server

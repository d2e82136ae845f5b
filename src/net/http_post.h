// One JSON POST to a plain-HTTP URL with an overall deadline (resolve,
// connect, write and read are timed async operations on a private
// io_context). Shared by the services' outgoing webhooks: Secrets Manager's
// webhook rotator and Parameter Store's policy notifications.
#pragma once

#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include "common/status_or.h"

namespace coffer::net {

struct HttpUrl {
  std::string host;
  std::string port;    // "80" when the URL names none
  std::string target;  // "/" when the URL has no path
};

// http://host[:port][/path]; kValidation for anything else (https included:
// put TLS in front with a proxy).
StatusOr<HttpUrl> ParseHttpUrl(std::string_view url);

// The answer's HTTP status, or kUnavailable naming what failed (no answer
// within `timeout`, refused connection, ...).
StatusOr<int> PostJson(const HttpUrl& url, const std::string& body,
                       const std::vector<std::pair<std::string, std::string>>& headers,
                       std::chrono::milliseconds timeout);

}  // namespace coffer::net

// Endpoint URLs and KMS key ARNs, parsed.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "common/status_or.h"

namespace coffer::envelope {

struct Endpoint {
  bool https = true;
  std::string host;
  std::uint16_t port = 443;
  std::string host_header;  // host, plus ":port" when not the scheme's default
};

// "http://host[:port]" or "https://host[:port]", an optional trailing '/'.
StatusOr<Endpoint> ParseEndpoint(const std::string& url);

// arn:<partition>:kms:<region>:<account>:key/<id> or :alias/<name>.
struct KmsArn {
  std::string partition;
  std::string region;
  std::string account;
  std::string resource_type;  // "key" or "alias"
  std::string resource_id;
};
std::optional<KmsArn> ParseKmsArn(const std::string& text);

}  // namespace coffer::envelope

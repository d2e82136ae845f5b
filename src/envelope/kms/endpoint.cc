#include "envelope/kms/endpoint.h"

#include <charconv>
#include <vector>

namespace coffer::envelope {

StatusOr<Endpoint> ParseEndpoint(const std::string& url) {
  Endpoint out;
  std::string rest;
  if (url.starts_with("https://")) {
    rest = url.substr(8);
  } else if (url.starts_with("http://")) {
    out.https = false;
    out.port = 80;
    rest = url.substr(7);
  } else {
    return ValidationError("endpoint URL must start with http:// or https://");
  }
  if (!rest.empty() && rest.back() == '/') rest.pop_back();
  if (rest.empty() || rest.find('/') != std::string::npos) {
    return ValidationError("endpoint URL must be scheme://host[:port] with no path");
  }
  const auto colon = rest.rfind(':');
  out.host = rest.substr(0, colon);
  if (colon != std::string::npos) {
    const std::string port = rest.substr(colon + 1);
    unsigned value = 0;
    auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (ec != std::errc() || end != port.data() + port.size() || value == 0 || value > 65535) {
      return ValidationError("endpoint URL has an invalid port");
    }
    out.port = static_cast<std::uint16_t>(value);
  }
  if (out.host.empty()) return ValidationError("endpoint URL has no host");
  const bool default_port = out.port == (out.https ? 443 : 80);
  out.host_header = default_port ? out.host : out.host + ":" + std::to_string(out.port);
  return out;
}

std::optional<KmsArn> ParseKmsArn(const std::string& text) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  for (int i = 0; i < 5; ++i) {
    const auto colon = text.find(':', start);
    if (colon == std::string::npos) return std::nullopt;
    parts.push_back(text.substr(start, colon - start));
    start = colon + 1;
  }
  const std::string resource = text.substr(start);
  const auto slash = resource.find('/');
  if (parts[0] != "arn" || parts[2] != "kms" || parts[1].empty() || parts[3].empty() || parts[4].empty() ||
      slash == std::string::npos || slash + 1 == resource.size()) {
    return std::nullopt;
  }
  KmsArn arn{parts[1], parts[3], parts[4], resource.substr(0, slash), resource.substr(slash + 1)};
  if (arn.resource_type != "key" && arn.resource_type != "alias") return std::nullopt;
  return arn;
}

}  // namespace coffer::envelope

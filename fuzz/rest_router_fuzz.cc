// libFuzzer target: arbitrary method, path, query and header presence routed
// through the S3 REST router built once from the embedded model. Matching
// must answer a match or one of its documented errors for anything, and a
// match must be well formed: a key only under a bucket.
#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "api/rest_routes.h"
#include "api/s3_model.h"

namespace {

const coffer::api::RestRouter& Router() {
  static const coffer::api::RestRouter* const router = [] {
    auto built = coffer::api::RestRouter::FromModelJson(coffer::api::EmbeddedS3Model());
    if (!built.ok()) __builtin_trap();
    return new coffer::api::RestRouter(std::move(built).value());
  }();
  return *router;
}

std::string Lower(std::string s) {
  for (char& c : s) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return s;
}

// Every header name the model sends something in, lower-case, so the input's
// presence bits reach the discriminators.
const std::vector<std::string>& ModelHeaders() {
  static const std::vector<std::string>* const headers = [] {
    auto* out = new std::vector<std::string>();
    const auto model = nlohmann::json::parse(coffer::api::EmbeddedS3Model());
    for (const auto& [name, shape] : model["shapes"].items()) {
      if (!shape.contains("members")) continue;
      for (const auto& [member, spec] : shape["members"].items()) {
        if (spec.value("location", "") == "header") out->push_back(Lower(spec.value("locationName", member)));
      }
    }
    return out;
  }();
  return *headers;
}

constexpr std::string_view kMethods[] = {"GET", "PUT", "POST", "DELETE", "HEAD", "OPTIONS", "PATCH", ""};

void CheckResult(const coffer::StatusOr<coffer::api::RestMatch>& result) {
  if (result.ok()) {
    if (result->operation.empty()) __builtin_trap();
    if (result->bucket.empty() && !result->key.empty()) __builtin_trap();
    return;
  }
  const coffer::ErrorCode code = result.status().code();
  if (code != coffer::ErrorCode::kValidation && code != coffer::ErrorCode::kMethodNotAllowed &&
      code != coffer::ErrorCode::kNotImplemented) {
    __builtin_trap();
  }
}

}  // namespace

// Input: [method byte][8 header-presence bytes] then path, query, and a raw
// method alternative, separated by '\n'.
extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 9) return 0;
  const std::vector<std::string>& headers = ModelHeaders();
  std::uint64_t present = 0;
  for (int i = 0; i < 8; ++i) present = present << 8 | data[1 + i];
  const auto has_header = [&](std::string_view name) {
    for (std::size_t i = 0; i < headers.size(); ++i) {
      if (headers[i] == name) return ((present >> (i % 64)) & 1) != 0;
    }
    return false;
  };
  std::string_view rest(reinterpret_cast<const char*>(data + 9), size - 9);
  std::string_view parts[3];
  for (auto& part : parts) {
    const std::size_t nl = rest.find('\n');
    part = rest.substr(0, nl);
    rest = nl == std::string_view::npos ? std::string_view() : rest.substr(nl + 1);
  }
  const std::size_t pick = data[0] % std::size(kMethods);
  const std::string_view method = kMethods[pick].empty() ? parts[2] : kMethods[pick];

  CheckResult(Router().Match(method, parts[0], parts[1], has_header));
  // The virtual-hosted form: bucket and key already decoded.
  const std::size_t slash = parts[0].find('/');
  const std::string bucket(parts[0].substr(0, slash));
  const std::string key(slash == std::string_view::npos ? std::string_view() : parts[0].substr(slash + 1));
  CheckResult(Router().Match(method, bucket, bucket.empty() ? std::string() : key, parts[1], has_header));
  return 0;
}

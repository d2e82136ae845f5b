// Shared by the SigV4 tests: reading suite files, editing requests, a
// SecretKeySource backed by a map.
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "auth/canonical.h"
#include "auth/sigv4.h"
#include "auth/sigv4_params.h"

namespace coffer::auth::sigv4_testing {

namespace fs = std::filesystem;

inline const fs::path kSuiteDir = fs::path(COFFER_ORACLES_DIR) / "sigv4";
inline constexpr std::string_view kMismatch =
    "The request signature we calculated does not match the signature you provided. Check your AWS Secret "
    "Access Key and signing method. Consult the service documentation for details.";

inline std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// "METHOD target HTTP/1.1", "Name:value" lines (a line starting with
// whitespace continues the previous value), a blank line, the body. The
// target may contain spaces (get-space), so it runs to the last space.
inline HttpRequest ParseRequest(std::string_view text) {
  HttpRequest request;
  auto next_line = [&text]() {
    const std::size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    return line;
  };
  const std::string_view request_line = next_line();
  const std::size_t first = request_line.find(' ');
  const std::size_t last = request_line.rfind(' ');
  request.method = request_line.substr(0, first);
  request.target = request_line.substr(first + 1, last - first - 1);
  while (!text.empty()) {
    const std::string_view line = next_line();
    if (line.empty()) break;
    if ((line[0] == ' ' || line[0] == '\t') && !request.headers.empty()) {
      request.headers.back().second.append("\n").append(line);
      continue;
    }
    const std::size_t colon = line.find(':');
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
    request.headers.emplace_back(std::string(line.substr(0, colon)), std::string(value));
  }
  request.body = text;
  return request;
}

inline std::string HeaderValue(const HttpRequest& request, std::string_view name) {
  for (const auto& [n, v] : request.headers) {
    if (internal::EqualsIgnoreCase(n, name)) return v;
  }
  return {};
}

inline void SetHeaderValue(HttpRequest& request, std::string_view name, std::string value) {
  for (auto& [n, v] : request.headers) {
    if (internal::EqualsIgnoreCase(n, name)) {
      v = std::move(value);
      return;
    }
  }
  request.headers.emplace_back(std::string(name), std::move(value));
}

inline void RemoveHeader(HttpRequest& request, std::string_view name) {
  std::erase_if(request.headers,
                [name](const Header& h) { return internal::EqualsIgnoreCase(h.first, name); });
}

inline std::string BodyHash(std::string_view body) {
  std::string out;
  internal::AppendBodyHash(body, out);
  return out;
}

inline TimePoint IsoTime(std::string text) {  // "2015-08-30T12:36:00Z"
  std::erase_if(text, [](char c) { return c == '-' || c == ':'; });
  return internal::ParseAmzDate(text).value();
}

inline std::vector<std::string> SortedNames(const HttpRequest& request) {
  std::vector<std::string> names;
  for (const auto& header : request.headers) {
    std::string name = header.first;
    std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
    if (name != "authorization") names.push_back(name);
  }
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  return names;
}

class MapSecrets final : public SecretKeySource {
 public:
  void Add(std::string akid, std::string secret) { keys_[std::move(akid)] = std::move(secret); }
  void Remove(const std::string& akid) { keys_.erase(akid); }
  StatusOr<SecretBytes> SecretKeyFor(std::string_view access_key_id) override {
    ++lookups;
    if (fail_with != ErrorCode::kOk) return Status(fail_with, "store says no");
    const auto it = keys_.find(std::string(access_key_id));
    if (it == keys_.end()) return NotFoundError("no such key");
    return SecretBytes(AsBytes(it->second));
  }
  std::atomic<int> lookups{0};
  ErrorCode fail_with = ErrorCode::kOk;

 private:
  std::map<std::string, std::string> keys_;
};

using ValueEdit = std::function<std::optional<std::string>(std::string)>;  // nullopt removes

// Edits one component of the Authorization header ("Credential", ...), or
// the algorithm when `name` is empty.
inline void EditAuthorization(HttpRequest& request, std::string_view name, const ValueEdit& edit) {
  const std::string value = HeaderValue(request, "authorization");
  std::string algorithm = value.substr(0, value.find(' '));
  std::vector<std::pair<std::string, std::string>> parts;
  std::string_view rest = std::string_view(value).substr(algorithm.size());
  while (!rest.empty()) {
    const std::size_t comma = rest.find(',');
    std::string_view piece = rest.substr(0, comma);
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    while (!piece.empty() && piece.front() == ' ') piece.remove_prefix(1);
    const std::size_t eq = piece.find('=');
    parts.emplace_back(std::string(piece.substr(0, eq)), std::string(piece.substr(eq + 1)));
  }
  if (name.empty()) algorithm = edit(algorithm).value_or("");
  std::string rebuilt = algorithm;
  std::string_view separator = " ";
  for (auto& [key, val] : parts) {
    std::optional<std::string> edited = key == name ? edit(val) : val;
    if (!edited) continue;
    rebuilt.append(separator).append(key).append("=").append(*edited);
    separator = ", ";
  }
  SetHeaderValue(request, "authorization", rebuilt);
}

// Edits one query parameter (decoded value in, re-encoded out).
inline void EditQuery(HttpRequest& request, std::string_view name, const ValueEdit& edit) {
  const std::size_t question = request.target.find('?');
  std::string out = request.target.substr(0, question);
  std::string_view query = std::string_view(request.target).substr(question + 1);
  char separator = '?';
  while (!query.empty()) {
    const std::size_t amp = query.find('&');
    const std::string_view piece = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    const std::string_view key = piece.substr(0, piece.find('='));
    std::string rebuilt(piece);
    if (key == name) {
      const std::optional<std::string> edited = edit(internal::UriDecode(piece.substr(key.size() + 1)));
      if (!edited) continue;
      rebuilt = std::string(key) + "=";
      internal::AppendUriEncoded(*edited, false, rebuilt);
    }
    out.append(1, separator).append(rebuilt);
    separator = '&';
  }
  request.target = out;
}

inline std::string ReplaceFirst(std::string text, std::string_view from, std::string_view to) {
  const std::size_t at = text.find(from);
  if (at != std::string::npos) text.replace(at, from.size(), to);
  return text;
}

}  // namespace coffer::auth::sigv4_testing

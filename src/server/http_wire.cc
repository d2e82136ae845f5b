#include "server/http_wire.h"

#include <algorithm>
#include <boost/beast/http/status.hpp>
#include <cctype>
#include <charconv>
#include <ostream>  // status.hpp's inline part streams a string_view

#include "auth/canonical.h"

namespace coffer::server {
namespace {

bool Reserved(std::string_view name) {
  using auth::internal::EqualsIgnoreCase;
  return EqualsIgnoreCase(name, "content-length") || EqualsIgnoreCase(name, "connection") ||
         EqualsIgnoreCase(name, "server") || EqualsIgnoreCase(name, "transfer-encoding");
}

// RFC 9110 token characters: anything else cannot be a field name.
bool IsToken(std::string_view name) {
  static constexpr std::string_view kExtra = "!#$%&'*+-.^_`|~";
  return !name.empty() && std::ranges::all_of(name, [](unsigned char c) {
    return std::isalnum(c) != 0 || kExtra.find(static_cast<char>(c)) != std::string_view::npos;
  });
}

void AppendSafe(std::string_view text, std::string& out) {
  const std::size_t start = out.size();
  out.append(text);
  for (std::size_t i = start; i < out.size(); ++i) {
    if (out[i] == '\r' || out[i] == '\n') out[i] = ' ';
  }
}

void AppendNumber(std::size_t n, std::string& out) {
  char digits[24];
  const auto end = std::to_chars(digits, digits + sizeof(digits), n).ptr;
  out.append(digits, end);
}

}  // namespace

std::string SerializeResponse(int status, std::span<const WireHeader> headers, std::string_view body,
                              unsigned version, bool keep_alive) {
  const auto reason = boost::beast::http::obsolete_reason(static_cast<boost::beast::http::status>(status));
  std::size_t size = 64 + reason.size() + body.size();
  for (const auto& [name, value] : headers) size += name.size() + value.size() + 4;
  std::string out;
  out.reserve(size);
  out.append(version == 10 ? "HTTP/1.0 " : "HTTP/1.1 ");
  AppendNumber(static_cast<std::size_t>(status), out);
  out.push_back(' ');
  out.append(reason.data(), reason.size());
  out.append("\r\nServer: coffer\r\n");
  for (const auto& [name, value] : headers) {
    if (Reserved(name) || !IsToken(name)) continue;
    out.append(name);
    out.append(": ");
    AppendSafe(value, out);
    out.append("\r\n");
  }
  out.append("Content-Length: ");
  AppendNumber(body.size(), out);
  out.append("\r\n");
  if (version == 10 && keep_alive) out.append("Connection: keep-alive\r\n");
  if (version != 10 && !keep_alive) out.append("Connection: close\r\n");
  out.append("\r\n");
  out.append(body);
  return out;
}

}  // namespace coffer::server

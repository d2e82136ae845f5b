#include "server/http_wire.h"

#include <algorithm>
#include <array>
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

void AppendNumber(std::uint64_t n, std::string& out) {
  char digits[24];
  const auto end = std::to_chars(digits, digits + sizeof(digits), n).ptr;
  out.append(digits, end);
}

}  // namespace

namespace {

void AppendHead(int status, std::span<const WireHeader> headers, std::uint64_t content_length,
                unsigned version, bool keep_alive, std::string& out) {
  const auto reason = boost::beast::http::obsolete_reason(static_cast<boost::beast::http::status>(status));
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
  AppendNumber(content_length, out);
  out.append("\r\n");
  if (version == 10 && keep_alive) out.append("Connection: keep-alive\r\n");
  if (version != 10 && !keep_alive) out.append("Connection: close\r\n");
  out.append("\r\n");
}

std::size_t HeadSize(std::span<const WireHeader> headers) {
  std::size_t size = 96;
  for (const auto& [name, value] : headers) size += name.size() + value.size() + 4;
  return size;
}

// The lists GiveBackHeaders keeps for the thread's next answers.
struct HeaderListPool {
  static constexpr std::size_t kKept = 4;
  std::array<std::vector<WireHeader>, kKept> lists;
  std::size_t count = 0;
};
thread_local HeaderListPool header_lists;

}  // namespace

std::vector<WireHeader> RecycledHeaders(
    std::initializer_list<std::pair<std::string_view, std::string_view>> headers) {
  std::vector<WireHeader> list;
  if (header_lists.count > 0) list = std::move(header_lists.lists[--header_lists.count]);
  list.resize(headers.size());
  std::size_t i = 0;
  for (const auto& [name, value] : headers) {
    list[i].first.assign(name);
    list[i].second.assign(value);
    ++i;
  }
  return list;
}

void GiveBackHeaders(std::vector<WireHeader>&& list) {
  // A long list (an S3 answer with many metadata headers) is not kept: the
  // JSON answers that take lists back need two or three entries.
  if (header_lists.count == HeaderListPool::kKept || list.capacity() > 16) return;
  header_lists.lists[header_lists.count++] = std::move(list);
}

std::string SerializeResponse(int status, std::span<const WireHeader> headers, std::string_view body,
                              unsigned version, bool keep_alive) {
  std::string out;
  SerializeResponseInto(status, headers, body, version, keep_alive, out);
  return out;
}

void SerializeResponseInto(int status, std::span<const WireHeader> headers, std::string_view body,
                           unsigned version, bool keep_alive, std::string& out) {
  out.clear();
  out.reserve(HeadSize(headers) + body.size());
  AppendHead(status, headers, body.size(), version, keep_alive, out);
  out.append(body);
}

std::string SerializeResponseHead(int status, std::span<const WireHeader> headers,
                                  std::uint64_t content_length, unsigned version, bool keep_alive) {
  std::string out;
  out.reserve(HeadSize(headers));
  AppendHead(status, headers, content_length, version, keep_alive, out);
  return out;
}

}  // namespace coffer::server

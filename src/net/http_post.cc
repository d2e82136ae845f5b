#include "net/http_post.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace coffer::net {

namespace beast = boost::beast;
namespace http = beast::http;
using tcp = boost::asio::ip::tcp;

StatusOr<HttpUrl> ParseHttpUrl(std::string_view u) {
  constexpr std::string_view kHttp = "http://";
  if (!u.starts_with(kHttp)) return ValidationError("only http:// URLs are supported, not " + std::string(u));
  u.remove_prefix(kHttp.size());
  const auto slash = u.find('/');
  const std::string_view authority = u.substr(0, slash);
  if (authority.empty()) return ValidationError("the URL names no host");
  HttpUrl out;
  out.target = slash == std::string_view::npos ? "/" : std::string(u.substr(slash));
  const auto colon = authority.rfind(':');
  out.host = std::string(authority.substr(0, colon));
  out.port = colon == std::string_view::npos ? "80" : std::string(authority.substr(colon + 1));
  if (out.host.empty() || out.port.empty()) return ValidationError("the URL's host or port is empty");
  return out;
}

StatusOr<int> PostJson(const HttpUrl& url, const std::string& body,
                       const std::vector<std::pair<std::string, std::string>>& headers,
                       std::chrono::milliseconds timeout) {
  boost::asio::io_context io;
  beast::tcp_stream stream(io);
  tcp::resolver resolver(io);
  http::request<http::string_body> request{http::verb::post, url.target, 11};
  request.set(http::field::host, url.host + ":" + url.port);
  request.set(http::field::content_type, "application/json");
  for (const auto& [name, value] : headers) request.set(name, value);
  request.body() = body;
  request.prepare_payload();
  http::response<http::string_body> response;
  beast::flat_buffer buffer;
  beast::error_code failure;
  stream.expires_after(timeout);
  // Each completion starts the next step; the first error ends the chain.
  auto on_read = [&](beast::error_code ec, std::size_t) { failure = ec; };
  auto on_write = [&](beast::error_code ec, std::size_t) {
    if (ec) {
      failure = ec;
      return;
    }
    http::async_read(stream, buffer, response, on_read);
  };
  auto on_connect = [&](beast::error_code ec, const tcp::endpoint&) {
    if (ec) {
      failure = ec;
      return;
    }
    http::async_write(stream, request, on_write);
  };
  resolver.async_resolve(url.host, url.port, [&](beast::error_code ec, tcp::resolver::results_type results) {
    if (ec) {
      failure = ec;
      return;
    }
    stream.async_connect(results, on_connect);
  });
  io.run_for(timeout + std::chrono::seconds(1));
  if (!io.stopped()) failure = beast::error::timeout;
  if (failure)
    return Status(ErrorCode::kUnavailable,
                  "no answer from " + url.host + ":" + url.port + ": " + failure.message());
  return static_cast<int>(response.result_int());
}

}  // namespace coffer::net

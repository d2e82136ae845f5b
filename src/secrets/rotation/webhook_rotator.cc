#include "secrets/rotation/webhook_rotator.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <nlohmann/json.hpp>

#include "common/encoding.h"
#include "common/secret_bytes.h"
#include "crypto/crypto.h"
#include "secrets/errors.h"

namespace coffer::secrets {

namespace beast = boost::beast;
namespace http = beast::http;
using tcp = boost::asio::ip::tcp;

WebhookRotator::WebhookRotator(std::string url, std::string hmac_key, std::chrono::milliseconds timeout)
    : key_(std::move(hmac_key)), timeout_(timeout) {
  constexpr std::string_view kHttp = "http://";
  std::string_view u = url;
  if (!u.starts_with(kHttp)) {
    url_status_ = InvalidRequest("the webhook rotator supports http:// URLs (put TLS in front with a proxy)");
    return;
  }
  u.remove_prefix(kHttp.size());
  const auto slash = u.find('/');
  const std::string_view authority = u.substr(0, slash);
  target_ = slash == std::string_view::npos ? "/" : std::string(u.substr(slash));
  const auto colon = authority.rfind(':');
  host_ = std::string(authority.substr(0, colon));
  port_ = colon == std::string_view::npos ? "80" : std::string(authority.substr(colon + 1));
}

WebhookRotator::~WebhookRotator() { SecureWipe(key_.data(), key_.size()); }

Status WebhookRotator::Step(const RotationEvent& event) {
  RETURN_IF_ERROR(url_status_);
  const std::string body = nlohmann::json{
      {"SecretId", event.secret_id},
      {"ClientRequestToken", event.token},
      {"Step", event.step}}.dump();
  const std::string timestamp = std::to_string(
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
          .count());
  const auto mac = crypto::HmacSha256(AsBytes(key_), AsBytes(timestamp + "." + body));

  boost::asio::io_context io;
  beast::tcp_stream stream(io);
  tcp::resolver resolver(io);
  http::request<http::string_body> request{http::verb::post, target_, 11};
  request.set(http::field::host, host_ + ":" + port_);
  request.set(http::field::content_type, "application/json");
  request.set("X-Coffer-Timestamp", timestamp);
  request.set("X-Coffer-Signature", HexEncode(mac));
  request.body() = body;
  request.prepare_payload();
  http::response<http::string_body> response;
  beast::flat_buffer buffer;
  beast::error_code failure;
  stream.expires_after(timeout_);
  resolver.async_resolve(host_, port_, [&](beast::error_code ec, tcp::resolver::results_type results) {
    if (ec) {
      failure = ec;
      return;
    }
    stream.async_connect(results, [&](beast::error_code ec2, const tcp::endpoint&) {
      if (ec2) {
        failure = ec2;
        return;
      }
      http::async_write(stream, request, [&](beast::error_code ec3, std::size_t) {
        if (ec3) {
          failure = ec3;
          return;
        }
        http::async_read(stream, buffer, response,
                         [&](beast::error_code ec4, std::size_t) { failure = ec4; });
      });
    });
  });
  io.run_for(timeout_ + std::chrono::seconds(1));
  if (!io.stopped()) failure = beast::error::timeout;
  if (failure) {
    return InvalidRequest("the webhook for step " + event.step + " did not answer: " + failure.message());
  }
  const int status = static_cast<int>(response.result_int());
  if (status < 200 || status >= 300) {
    return InvalidRequest("the webhook answered HTTP " + std::to_string(status) + " to step " + event.step);
  }
  return Status::Ok();
}

}  // namespace coffer::secrets

#include "ssm/webhook.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "common/iso_time.h"

namespace coffer::ssm {

namespace beast = boost::beast;
namespace http = beast::http;
using tcp = boost::asio::ip::tcp;

nlohmann::json EventBridgeEvent(const ServiceEvent& e, TimePoint now, const std::string& id) {
  nlohmann::json detail = {{"parameter-name", e.name},
                           {"parameter-type", e.type},
                           {"policy-type", e.event_name},
                           {"action-status", e.event_name == "Expiration" ? "Finished" : "Pending"}};
  if (!e.policy_text.empty()) detail["policy-content"] = e.policy_text;
  return {{"version", "0"},
          {"id", id},
          {"detail-type", e.detail_type},
          {"source", "aws.ssm"},
          {"account", e.account},
          {"time", IsoSeconds(now)},
          {"region", e.region},
          {"resources", {e.arn}},
          {"detail", detail}};
}

PolicyWebhook::PolicyWebhook(std::string url, std::chrono::milliseconds timeout) : timeout_(timeout) {
  constexpr std::string_view kHttp = "http://";
  std::string_view u = url;
  if (!u.starts_with(kHttp)) {
    url_status_ = ValidationError("the Parameter Store webhook supports http:// URLs");
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

Status PolicyWebhook::Post(const nlohmann::json& event) {
  RETURN_IF_ERROR(url_status_);
  boost::asio::io_context io;
  beast::tcp_stream stream(io);
  tcp::resolver resolver(io);
  http::request<http::string_body> request{http::verb::post, target_, 11};
  request.set(http::field::host, host_ + ":" + port_);
  request.set(http::field::content_type, "application/json");
  request.body() = event.dump();
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
  if (failure)
    return Status(ErrorCode::kUnavailable,
                  "the Parameter Store webhook did not answer: " + failure.message());
  if (response.result_int() / 100 != 2) {
    return Status(ErrorCode::kUnavailable,
                  "the Parameter Store webhook answered HTTP " + std::to_string(response.result_int()));
  }
  return Status::Ok();
}

}  // namespace coffer::ssm

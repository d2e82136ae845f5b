// HTTP(S) for the KMS client with Boost.Beast, one connection per call (a
// keyring makes one or two calls per message). Like src/server/tls_context,
// Beast's TLS stream needs OpenSSL types here; nothing of them leaves this file.
#include <sys/socket.h>
#include <sys/time.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include "coffer/kms_client.h"
#include "envelope/kms/endpoint.h"

namespace coffer::envelope {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

constexpr std::size_t kMaxResponseBytes = 1 << 20;

Status NetworkError(const std::string& what, const boost::system::error_code& ec) {
  return {ErrorCode::kUnavailable, "KMS endpoint unreachable: " + what + ": " + ec.message()};
}

void SetTimeouts(tcp::socket& socket, std::chrono::seconds timeout) {
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(timeout.count());
  ::setsockopt(socket.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(socket.native_handle(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

http::request<http::string_body> ToBeast(const HttpCall& call) {
  http::request<http::string_body> request{http::string_to_verb(call.method), call.target, 11};
  for (const auto& [name, value] : call.headers) request.set(name, value);
  request.body() = call.body;
  request.prepare_payload();
  return request;
}

template <typename Stream>
StatusOr<HttpResponse> Exchange(Stream& stream, const HttpCall& call) {
  boost::system::error_code ec;
  auto request = ToBeast(call);
  http::write(stream, request, ec);
  if (ec) return NetworkError("write", ec);
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(kMaxResponseBytes);
  http::read(stream, buffer, parser, ec);
  if (ec) return NetworkError("read", ec);
  return HttpResponse{static_cast<int>(parser.get().result_int()), std::move(parser.get().body())};
}

class BeastTransport final : public HttpTransport {
 public:
  BeastTransport(Endpoint endpoint, std::unique_ptr<asio::ssl::context> tls, std::chrono::seconds timeout)
      : endpoint_(std::move(endpoint)), tls_(std::move(tls)), timeout_(timeout) {}

  StatusOr<HttpResponse> Send(const HttpCall& call) override {
    asio::io_context io;
    boost::system::error_code ec;
    tcp::resolver resolver(io);
    auto addresses = resolver.resolve(endpoint_.host, std::to_string(endpoint_.port), ec);
    if (ec) return NetworkError("resolve " + endpoint_.host, ec);
    if (tls_ == nullptr) {
      tcp::socket socket(io);
      asio::connect(socket, addresses, ec);
      if (ec) return NetworkError("connect", ec);
      SetTimeouts(socket, timeout_);
      return Exchange(socket, call);
    }
    beast::ssl_stream<tcp::socket> stream(io, *tls_);
    if (!SSL_set_tlsext_host_name(stream.native_handle(), endpoint_.host.c_str())) {
      return Status(ErrorCode::kUnavailable, "KMS endpoint: cannot set the TLS server name");
    }
    stream.set_verify_callback(asio::ssl::host_name_verification(endpoint_.host));
    asio::connect(stream.next_layer(), addresses, ec);
    if (ec) return NetworkError("connect", ec);
    SetTimeouts(stream.next_layer(), timeout_);
    stream.handshake(asio::ssl::stream_base::client, ec);
    if (ec) return NetworkError("TLS handshake", ec);
    return Exchange(stream, call);
  }

 private:
  Endpoint endpoint_;
  std::unique_ptr<asio::ssl::context> tls_;
  std::chrono::seconds timeout_;
};

StatusOr<std::unique_ptr<asio::ssl::context>> ClientTlsContext(const std::string& ca_bundle) {
  auto context = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_client);
  boost::system::error_code ec;
  context->set_verify_mode(asio::ssl::verify_peer, ec);
  if (!ec) {
    if (ca_bundle.empty()) {
      context->set_default_verify_paths(ec);
    } else {
      context->load_verify_file(ca_bundle, ec);
    }
  }
  if (ec) return ValidationError("KMS client TLS setup failed (CA bundle): " + ec.message());
  return context;
}

}  // namespace

StatusOr<std::unique_ptr<HttpTransport>> NewBeastTransport(const KmsClientOptions& options) {
  ASSIGN_OR_RETURN(Endpoint endpoint, ParseEndpoint(options.endpoint));
  std::unique_ptr<asio::ssl::context> tls;
  if (endpoint.https) {
    ASSIGN_OR_RETURN(tls, ClientTlsContext(options.ca_bundle));
  }
  return std::unique_ptr<HttpTransport>(
      new BeastTransport(std::move(endpoint), std::move(tls), options.io_timeout));
}

}  // namespace coffer::envelope

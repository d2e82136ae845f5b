// HTTP(S) for the KMS client with Boost.Beast, one connection per call (a
// keyring makes one or two calls per message). Like src/server/tls_context,
// Beast's TLS stream needs OpenSSL types here; nothing of them leaves this file.
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <type_traits>

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

http::request<http::string_body> ToBeast(const HttpCall& call) {
  http::request<http::string_body> request{http::string_to_verb(call.method), call.target, 11};
  for (const auto& [name, value] : call.headers) request.set(name, value);
  request.body() = call.body;
  request.prepare_payload();
  return request;
}

// One exchange on a private io_context as a chain of timed async steps:
// resolve, connect, (TLS handshake), write, read. The stream's expiry is one
// deadline for every step after resolve; run_for bounds the resolve too. The
// first failure ends the chain. Blocking Asio calls cannot time out (socket
// timeouts turn into an unbounded poll), hence the async form.
template <typename Stream>
class Exchange {
 public:
  Exchange(asio::io_context& io, Stream& stream, const Endpoint& endpoint, const HttpCall& call,
           std::chrono::seconds timeout)
      : io_(io),
        stream_(stream),
        resolver_(io),
        endpoint_(endpoint),
        request_(ToBeast(call)),
        timeout_(timeout) {
    parser_.body_limit(kMaxResponseBytes);
  }

  StatusOr<HttpResponse> Run() {
    resolver_.async_resolve(endpoint_.host, std::to_string(endpoint_.port),
                            [this](beast::error_code ec, tcp::resolver::results_type results) {
                              if (Failed("resolve " + endpoint_.host, ec)) return;
                              Lowest().expires_after(timeout_);
                              Lowest().async_connect(results,
                                                     [this](beast::error_code ec, const tcp::endpoint&) {
                                                       if (!Failed("connect", ec)) Connected();
                                                     });
                            });
    io_.run_for(timeout_ + std::chrono::seconds(1));
    if (!io_.stopped() && failure_.ok()) failure_ = Timeout();
    if (!failure_.ok()) return failure_;
    return HttpResponse{static_cast<int>(parser_.get().result_int()), std::move(parser_.get().body())};
  }

 private:
  beast::tcp_stream& Lowest() { return beast::get_lowest_layer(stream_); }

  bool Failed(const std::string& what, const beast::error_code& ec) {
    if (!ec) return false;
    failure_ = ec == beast::error::timeout ? Timeout() : NetworkError(what, ec);
    return true;
  }

  Status Timeout() const {
    return {ErrorCode::kUnavailable,
            "KMS endpoint did not answer within " + std::to_string(timeout_.count()) + "s"};
  }

  void Connected() {
    if constexpr (std::is_same_v<Stream, beast::tcp_stream>) {
      Write();
    } else {
      stream_.async_handshake(asio::ssl::stream_base::client, [this](beast::error_code ec) {
        if (!Failed("TLS handshake", ec)) Write();
      });
    }
  }

  void Write() {
    http::async_write(stream_, request_, [this](beast::error_code ec, std::size_t) {
      if (Failed("write", ec)) return;
      http::async_read(stream_, buffer_, parser_,
                       [this](beast::error_code ec, std::size_t) { Failed("read", ec); });
    });
  }

  asio::io_context& io_;
  Stream& stream_;
  tcp::resolver resolver_;
  const Endpoint& endpoint_;
  http::request<http::string_body> request_;
  std::chrono::seconds timeout_;
  beast::flat_buffer buffer_;
  http::response_parser<http::string_body> parser_;
  Status failure_;
};

class BeastTransport final : public HttpTransport {
 public:
  BeastTransport(Endpoint endpoint, std::unique_ptr<asio::ssl::context> tls, std::chrono::seconds timeout)
      : endpoint_(std::move(endpoint)), tls_(std::move(tls)), timeout_(timeout) {}

  StatusOr<HttpResponse> Send(const HttpCall& call) override {
    asio::io_context io;
    if (tls_ == nullptr) {
      beast::tcp_stream stream(io);
      return Exchange<beast::tcp_stream>(io, stream, endpoint_, call, timeout_).Run();
    }
    beast::ssl_stream<beast::tcp_stream> stream(io, *tls_);
    if (!SSL_set_tlsext_host_name(stream.native_handle(), endpoint_.host.c_str())) {
      return Status(ErrorCode::kUnavailable, "KMS endpoint: cannot set the TLS server name");
    }
    stream.set_verify_callback(asio::ssl::host_name_verification(endpoint_.host));
    return Exchange<beast::ssl_stream<beast::tcp_stream>>(io, stream, endpoint_, call, timeout_).Run();
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

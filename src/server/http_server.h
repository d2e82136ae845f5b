// HTTP/1.1 listener (Boost.Beast over Asio): keep-alive, optional TLS, one io
// thread per core, graceful stop (no new connections; requests in flight are
// answered; idle connections closed).
#pragma once

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "common/status_or.h"
#include "server/router.h"

namespace coffer::server {

struct TlsOptions {
  std::string cert_file;  // PEM chain; empty with self_signed
  std::string key_file;   // PEM private key
  bool self_signed = false;
};

struct ServerOptions {
  std::string host = "127.0.0.1";
  std::uint16_t port = 4566;  // 0: any free port (read it back with port())
  int threads = 0;            // 0: one per core
  std::size_t max_body_bytes = 1 << 20;
  // Bound on a streamed body (S3: a 5 GiB single PUT plus aws-chunked framing).
  std::uint64_t max_stream_bytes = 6ULL << 30;
  std::chrono::seconds idle_timeout{60};
  // Threads that run streamed bodies' sink writes, finishes and source reads
  // (fsync, metadata commits, preads) off the io threads; 0 runs them on the
  // io threads. Default 8: the work mostly waits on the disk, not the CPU.
  int blocking_threads = 8;
  std::optional<TlsOptions> tls;
};

using RequestHandler = std::function<HttpResponse(const auth::HttpRequest&, const ConnectionInfo&)>;
// Answers requests refused before routing (e.g. an oversized body).
using ErrorHandler = std::function<HttpResponse(const Status&)>;
// The answer sent instead of `original` when its audit record could not be
// written (strict mode fails closed).
using UndurableHandler = std::function<HttpResponse(const HttpResponse& original)>;
// Asked with the head of every request (no body yet): nullopt keeps the
// buffered path (RequestHandler, body limit `max_body_bytes`); a StreamStart
// streams the body into its sink, or answers at once.
using StreamRouter =
    std::function<std::optional<StreamStart>(const RequestHead& head, const ConnectionInfo& connection)>;

class HttpServer {
 public:
  // Binds and listens; fails with a clear message when the address is taken.
  static StatusOr<std::unique_ptr<HttpServer>> Create(const ServerOptions& options, RequestHandler handler,
                                                      ErrorHandler on_error);
  ~HttpServer();

  std::uint16_t port() const;
  bool tls() const;
  boost::asio::io_context& io();
  // Responses carrying a durability ticket are held until `waiter` calls back.
  void SetDurabilityWaiter(DurabilityWaiter waiter);
  // Set before Run().
  void SetStreamRouter(StreamRouter router);
  void SetUndurableHandler(UndurableHandler handler);

  // Serves until Stop() and every connection has finished. Blocks.
  void Run();
  // Graceful stop; safe from any thread (and from a signal handler's strand).
  void Stop();

  struct Impl;

 private:
  explicit HttpServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace coffer::server

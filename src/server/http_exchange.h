// What the HTTP listener and the protocol fronts exchange: the response (whole
// or streamed) and, for protocols with large bodies (S3), a request body
// consumed as it arrives. The listener owns the socket and the pacing; a
// front only sees bytes, so every front has the same memory bound per
// connection (docs/architecture.md, "Streaming bodies").
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "auth/sigv4.h"
#include "common/status_or.h"

namespace coffer::server {

// A response body produced piece by piece (S3 downloads). Read is called
// only after the previous piece was sent, so a slow reader holds one piece,
// never the object. One call at a time per body; for a body longer than one
// piece it runs on the server's blocking pool, not an io thread, so it may
// wait on the disk.
class BodySource {
 public:
  virtual ~BodySource() = default;
  // Fills up to out.size() bytes; 0 only once every byte was produced. An
  // error after the head was sent closes the connection (the status line can
  // no longer change), so the client sees a short body, never wrong bytes.
  virtual StatusOr<std::size_t> Read(std::span<char> out) = 0;
};

struct HttpResponse {
  int status = 200;
  std::vector<auth::Header> headers;
  std::string body;
  // Non-zero: send only once the audit record with this ticket is durable.
  std::uint64_t durability_ticket = 0;
  // Set: the body is streamed from here and is exactly `content_length` bytes
  // (`body` is ignored).
  std::shared_ptr<BodySource> stream;
  // Set: the Content-Length announced instead of body.size() (streams, and
  // HEAD answers, which announce a length and send no body).
  std::optional<std::uint64_t> content_length;
};

struct ConnectionInfo {
  bool secure = false;
  std::string source_ip;
};

// A request body consumed as it arrives. The listener holds at most two
// pieces (kStreamPieceBytes each) per connection: one in Write, the next
// being read meanwhile; it reads no further until that Write returned, so a
// slow consumer slows the sender (TCP backpressure) instead of growing a
// buffer. A Content-Length body reaches Write in whole pieces (the last one
// shorter). Write and Finish run on the server's blocking pool, one call at a
// time per sink (so they may fsync and commit without holding up the other
// connections of an io thread), except the Finish of a bodiless GET or HEAD
// (reads only), which runs on the io thread. The sink is destroyed where its
// Finish ran.
class BodySink {
 public:
  virtual ~BodySink() = default;
  // The next body bytes (after transfer decoding; aws-chunked framing is the
  // sink's, as S3 signs it). An error stops the upload: Finish(error) answers.
  virtual Status Write(std::string_view data) = 0;
  // The body ended (`body` OK) or was refused (`body` the error). A client
  // that goes away mid-body gets no answer: the sink is destroyed without
  // Finish, so its destructor must discard what it received.
  virtual HttpResponse Finish(const Status& body) = 0;
};

// The head of a request as the listener parsed it, before any body byte:
// cheap look-ups for deciding, and a copy for the front that takes it.
class RequestHead {
 public:
  virtual ~RequestHead() = default;
  virtual std::string_view method() const = 0;
  virtual std::string_view target() const = 0;
  // The first value of a header (any case of `name`); empty when absent.
  virtual std::string_view header(std::string_view name) const = 0;
  // The head as a request without body, for signature checks and routing.
  virtual auth::HttpRequest Copy() const = 0;
};

// What a streaming front decides from the request head alone.
struct StreamStart {
  std::unique_ptr<BodySink> sink;        // set: stream the body into it
  std::optional<HttpResponse> response;  // set instead: answer now; the body is discarded
};

inline constexpr std::size_t kStreamPieceBytes = 256 * 1024;

}  // namespace coffer::server

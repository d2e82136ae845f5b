// The listener's streaming contract, seen from a raw HTTP/1.1 client on a real
// socket: request bodies reach a BodySink in bounded pieces with backpressure,
// responses stream from a BodySource, and the buffered path keeps its limit.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <cctype>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "server/http_exchange.h"
#include "server/http_server.h"

namespace coffer::server {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

constexpr std::size_t kMiB = 1 << 20;

// Bytes that differ from their neighbours, so a lost or reordered piece shows.
std::string Pattern(std::size_t n) {
  std::string out(n, '\0');
  std::uint32_t x = 2463534242u;
  for (auto& c : out) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    c = static_cast<char>(x);
  }
  return out;
}

std::string Lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

struct Reply {
  int status = 0;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;

  std::string Header(const std::string& name) const {
    const auto it = headers.find(name);
    return it == headers.end() ? "" : it->second;
  }
};

Reply ParseHead(const std::string& head) {
  Reply reply;
  if (head.size() < 12) return reply;
  reply.status = std::stoi(head.substr(9, 3));
  std::size_t at = head.find("\r\n") + 2;
  while (at < head.size()) {
    const std::size_t end = head.find("\r\n", at);
    const std::size_t colon = head.find(':', at);
    if (end == at || colon > end) break;
    std::string value = head.substr(colon + 1, end - colon - 1);
    value.erase(0, value.find_first_not_of(' '));
    reply.headers[Lower(head.substr(at, colon - at))] = value;
    at = end + 2;
  }
  return reply;
}

// A blocking HTTP/1.1 client that sees every byte the server sends.
class RawClient {
 public:
  explicit RawClient(std::uint16_t port) : socket_(io_) {
    socket_.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
  }

  tcp::socket& socket() { return socket_; }
  void Send(std::string_view bytes) { asio::write(socket_, asio::buffer(bytes.data(), bytes.size())); }

  // Through the blank line; empty when the connection ended first.
  std::string ReadHead() {
    for (;;) {
      if (const std::size_t end = pending_.find("\r\n\r\n"); end != std::string::npos) return Take(end + 4);
      if (!ReadMore()) return "";
    }
  }
  // Up to n bytes: fewer only when the connection ended.
  std::string ReadBytes(std::size_t n) {
    while (pending_.size() < n && ReadMore()) {
    }
    return Take(std::min(n, pending_.size()));
  }
  std::string ReadToEof() {
    while (ReadMore()) {
    }
    return Take(pending_.size());
  }
  // A whole response whose body is framed by Content-Length.
  Reply ReadResponse() {
    Reply reply = ParseHead(ReadHead());
    const std::string length = reply.Header("content-length");
    if (!length.empty()) reply.body = ReadBytes(std::stoull(length));
    return reply;
  }

 private:
  bool ReadMore() {
    boost::system::error_code ec;
    const std::size_t n = socket_.read_some(asio::buffer(chunk_), ec);
    if (ec) return false;
    pending_.append(chunk_.data(), n);
    return true;
  }
  std::string Take(std::size_t n) {
    std::string out = pending_.substr(0, n);
    pending_.erase(0, n);
    return out;
  }

  asio::io_context io_;
  tcp::socket socket_;
  std::string pending_;
  std::array<char, 65536> chunk_{};
};

std::string PutHead(std::size_t length, std::string_view extra = "") {
  return "PUT /bucket/key HTTP/1.1\r\nHost: localhost\r\nContent-Length: " + std::to_string(length) + "\r\n" +
         std::string(extra) + "\r\n";
}

// Released by the test: a Write that waits on it holds the io thread.
struct Gate {
  std::promise<void> entered;
  std::mutex mu;
  std::condition_variable cv;
  bool open = false;

  void Release() {
    {
      std::lock_guard lock(mu);
      open = true;
    }
    cv.notify_all();
  }
  void Wait() {
    std::unique_lock lock(mu);
    cv.wait(lock, [this] { return open; });
  }
};

// What one sink saw; shared with the test because the listener owns the sink.
struct SinkLog {
  std::mutex mu;
  std::vector<std::size_t> pieces;
  std::string data;
  std::optional<Status> finished;
  int finish_calls = 0;
  int writes_after_failure = 0;
  std::promise<void> destroyed;

  std::size_t MaxPiece() {
    std::lock_guard lock(mu);
    return pieces.empty() ? 0 : *std::max_element(pieces.begin(), pieces.end());
  }
  std::size_t Writes() {
    std::lock_guard lock(mu);
    return pieces.size();
  }
};

class RecordingSink final : public BodySink {
 public:
  // `fail_at`: the Write (1-based) that fails; 0 never. `gate`: the first
  // Write waits for it.
  RecordingSink(std::shared_ptr<SinkLog> log, std::size_t fail_at = 0, Gate* gate = nullptr)
      : log_(std::move(log)), fail_at_(fail_at), gate_(gate) {}
  ~RecordingSink() override { log_->destroyed.set_value(); }

  Status Write(std::string_view data) override {
    std::size_t calls = 0;
    {
      std::lock_guard lock(log_->mu);
      if (failed_) ++log_->writes_after_failure;
      log_->pieces.push_back(data.size());
      log_->data.append(data);
      calls = log_->pieces.size();
    }
    if (gate_ != nullptr && calls == 1) {
      gate_->entered.set_value();
      gate_->Wait();
    }
    if (calls == fail_at_) {
      failed_ = true;
      return Status(ErrorCode::kAccessDenied, "sink refused");
    }
    return Status::Ok();
  }

  HttpResponse Finish(const Status& body) override {
    std::lock_guard lock(log_->mu);
    ++log_->finish_calls;
    log_->finished = body;
    HttpResponse response;
    if (body.ok()) {
      response.body = "stored " + std::to_string(log_->data.size());
    } else {
      response.status = body.code() == ErrorCode::kRequestTooLarge ? 413 : 403;
      response.body = "refused";
    }
    return response;
  }

 private:
  std::shared_ptr<SinkLog> log_;
  std::size_t fail_at_;
  Gate* gate_;
  bool failed_ = false;
};

// A response body of `total` pattern bytes that fails once `fail_after` were produced.
class PatternSource final : public BodySource {
 public:
  PatternSource(std::string bytes, std::size_t fail_after)
      : bytes_(std::move(bytes)), fail_after_(fail_after) {}

  StatusOr<std::size_t> Read(std::span<char> out) override {
    if (offset_ >= fail_after_) return Status(ErrorCode::kInternal, "disk went away");
    const std::size_t n = std::min({out.size(), bytes_.size() - offset_, fail_after_ - offset_});
    std::copy_n(bytes_.data() + offset_, n, out.data());
    offset_ += n;
    return n;
  }

 private:
  std::string bytes_;
  std::size_t fail_after_;
  std::size_t offset_ = 0;
};

class HttpStreamTest : public ::testing::Test {
 protected:
  using Route = std::function<std::optional<StreamStart>(const RequestHead&)>;

  void StartServer(ServerOptions options = {}) {
    options.host = "127.0.0.1";
    options.port = 0;
    options.threads = 2;
    auto created = HttpServer::Create(
        options, [this](const auth::HttpRequest& r, const ConnectionInfo&) { return handler_(r); },
        [](const Status& st) {
          HttpResponse r;
          r.status = st.code() == ErrorCode::kRequestTooLarge ? 413 : 400;
          r.body = "error";
          return r;
        });
    ASSERT_TRUE(created.ok()) << created.status().message();
    server_ = std::move(created).value();
    server_->SetStreamRouter([this](const RequestHead& head, const ConnectionInfo&) { return route_(head); });
    thread_ = std::thread([this] { server_->Run(); });
  }

  void TearDown() override {
    if (!server_) return;
    server_->Stop();
    thread_.join();
  }

  // Routes PUTs into a RecordingSink over `log`; everything else buffered.
  void StreamPutsInto(std::shared_ptr<SinkLog> log, std::size_t fail_at = 0, Gate* gate = nullptr) {
    route_ = [log, fail_at, gate](const RequestHead& head) -> std::optional<StreamStart> {
      if (head.method() != "PUT") return std::nullopt;
      StreamStart start;
      start.sink = std::make_unique<RecordingSink>(log, fail_at, gate);
      return start;
    };
  }

  // Answers every buffered request with `object` as a streamed body that
  // fails once `fail_after` bytes were produced.
  void ServeStreamed(const std::string& object, std::size_t fail_after) {
    handler_ = [&object, fail_after](const auth::HttpRequest&) {
      HttpResponse response;
      response.stream = std::make_shared<PatternSource>(object, fail_after);
      response.content_length = object.size();
      return response;
    };
  }

  std::uint16_t port() const { return server_->port(); }

  Route route_ = [](const RequestHead&) { return std::nullopt; };
  std::function<HttpResponse(const auth::HttpRequest&)> handler_ = [](const auth::HttpRequest& r) {
    HttpResponse response;
    response.headers = {{"Content-Type", "application/json"}};
    response.body = r.body;
    return response;
  };
  std::unique_ptr<HttpServer> server_;
  std::thread thread_;
};

TEST_F(HttpStreamTest, LargePutArrivesInBoundedPiecesAndFinishAnswers) {
  auto log = std::make_shared<SinkLog>();
  StreamPutsInto(log);
  StartServer();
  const std::string body = Pattern(5 * kMiB);
  RawClient client(port());
  client.Send(PutHead(body.size()) + body);
  const Reply reply = client.ReadResponse();

  EXPECT_EQ(reply.status, 200);
  EXPECT_EQ(reply.body, "stored " + std::to_string(body.size()));
  EXPECT_LE(log->MaxPiece(), kStreamPieceBytes);
  EXPECT_GE(log->Writes(), body.size() / kStreamPieceBytes);
  std::lock_guard lock(log->mu);
  EXPECT_TRUE(log->data == body) << "received " << log->data.size() << " of " << body.size() << " bytes";
  ASSERT_TRUE(log->finished.has_value());
  EXPECT_TRUE(log->finished->ok());
  EXPECT_EQ(log->finish_calls, 1);
}

TEST_F(HttpStreamTest, ConnectionStaysOpenAfterAStreamedPut) {
  auto log = std::make_shared<SinkLog>();
  StreamPutsInto(log);
  StartServer();
  RawClient client(port());
  client.Send(PutHead(3) + "abc");
  EXPECT_EQ(client.ReadResponse().body, "stored 3");
  client.Send("POST / HTTP/1.1\r\nHost: localhost\r\nContent-Length: 2\r\n\r\n{}");
  EXPECT_EQ(client.ReadResponse().body, "{}");
}

// A Content-Length body is read up to its end and no further: a request sent
// right behind it, in the same send, is answered as a request.
TEST_F(HttpStreamTest, RequestRightBehindABodyIsNotTakenIntoIt) {
  auto log = std::make_shared<SinkLog>();
  StreamPutsInto(log);
  StartServer();
  const std::string body = Pattern(kStreamPieceBytes + 100);
  RawClient client(port());
  client.Send(PutHead(body.size()) + body +
              "POST / HTTP/1.1\r\nHost: localhost\r\nContent-Length: 2\r\n\r\n{}");
  EXPECT_EQ(client.ReadResponse().body, "stored " + std::to_string(body.size()));
  EXPECT_EQ(client.ReadResponse().body, "{}");
  std::lock_guard lock(log->mu);
  EXPECT_TRUE(log->data == body) << "received " << log->data.size() << " of " << body.size() << " bytes";
}

// A Content-Length body is handed over in whole pieces (one hand-off per
// kStreamPieceBytes, however small the receives), the last one shorter.
TEST_F(HttpStreamTest, ContentLengthBodyArrivesInWholePieces) {
  auto log = std::make_shared<SinkLog>();
  StreamPutsInto(log);
  StartServer();
  const std::string body = Pattern(3 * kStreamPieceBytes + 5);
  RawClient client(port());
  const std::string wire = PutHead(body.size()) + body;
  for (std::size_t at = 0; at < wire.size(); at += 100000)
    client.Send(std::string_view(wire).substr(at, 100000));
  EXPECT_EQ(client.ReadResponse().status, 200);
  std::lock_guard lock(log->mu);
  EXPECT_EQ(log->pieces,
            (std::vector<std::size_t>{kStreamPieceBytes, kStreamPieceBytes, kStreamPieceBytes, 5}));
  EXPECT_TRUE(log->data == body);
}

TEST_F(HttpStreamTest, ChunkedBodyIsDeliveredDecoded) {
  auto log = std::make_shared<SinkLog>();
  StreamPutsInto(log);
  StartServer();
  const std::string body = Pattern(300 * 1024 + 20);
  const std::vector<std::size_t> sizes = {1, 19, 300 * 1024};  // the last spans two pieces
  std::string wire = "PUT /bucket/key HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n";
  std::size_t at = 0;
  for (const std::size_t n : sizes) {
    char size_line[32];
    std::snprintf(size_line, sizeof size_line, "%zx;ext=1\r\n", n);
    wire += size_line + body.substr(at, n) + "\r\n";
    at += n;
  }
  wire += "0\r\nX-Trailer: t\r\n\r\n";
  RawClient client(port());
  client.Send(wire);

  EXPECT_EQ(client.ReadResponse().status, 200);
  EXPECT_LE(log->MaxPiece(), kStreamPieceBytes);
  std::lock_guard lock(log->mu);
  EXPECT_TRUE(log->data == body) << "received " << log->data.size() << " of " << body.size() << " bytes";
  ASSERT_TRUE(log->finished.has_value());
  EXPECT_TRUE(log->finished->ok());
}

TEST_F(HttpStreamTest, ExpectContinueIsAnsweredBeforeTheBodyIsSent) {
  auto log = std::make_shared<SinkLog>();
  StreamPutsInto(log);
  StartServer();
  RawClient client(port());
  client.Send(PutHead(5, "Expect: 100-continue\r\n"));

  EXPECT_EQ(client.ReadHead(), "HTTP/1.1 100 Continue\r\n\r\n");
  EXPECT_EQ(log->Writes(), 0u);
  client.Send("hello");
  const Reply reply = client.ReadResponse();
  EXPECT_EQ(reply.status, 200);
  EXPECT_EQ(reply.body, "stored 5");
}

TEST_F(HttpStreamTest, FailedWriteAnswersFinishErrorAndCloses) {
  auto log = std::make_shared<SinkLog>();
  StreamPutsInto(log, /*fail_at=*/2);
  StartServer();
  const std::string body = Pattern(2 * kMiB);
  RawClient client(port());
  client.Send(PutHead(body.size()) + body);
  const Reply reply = client.ReadResponse();

  EXPECT_EQ(reply.status, 403);
  EXPECT_EQ(reply.body, "refused");
  EXPECT_EQ(Lower(reply.Header("connection")), "close");
  EXPECT_EQ(client.ReadToEof(), "");
  std::lock_guard lock(log->mu);
  EXPECT_EQ(log->pieces.size(), 2u);
  EXPECT_EQ(log->writes_after_failure, 0);
  EXPECT_EQ(log->finish_calls, 1);
  ASSERT_TRUE(log->finished.has_value());
  EXPECT_EQ(log->finished->code(), ErrorCode::kAccessDenied);
}

// A declared length over the bound is refused from the head: no body byte
// reaches the sink, and a client waiting for 100 Continue gets the 413 instead.
TEST_F(HttpStreamTest, ContentLengthOverStreamLimitFinishesTooLarge) {
  auto log = std::make_shared<SinkLog>();
  StreamPutsInto(log);
  ServerOptions options;
  options.max_stream_bytes = kMiB;
  StartServer(options);
  const std::string body = Pattern(2 * kMiB);
  RawClient client(port());
  client.Send(PutHead(body.size()) + body);
  const Reply reply = client.ReadResponse();

  EXPECT_EQ(reply.status, 413);
  EXPECT_EQ(client.ReadToEof(), "");
  std::lock_guard lock(log->mu);
  EXPECT_EQ(log->data.size(), 0u);
  EXPECT_EQ(log->finish_calls, 1);
  ASSERT_TRUE(log->finished.has_value());
  EXPECT_EQ(log->finished->code(), ErrorCode::kRequestTooLarge);
}

TEST_F(HttpStreamTest, ContentLengthOverStreamLimitIsRefusedInsteadOfContinue) {
  auto log = std::make_shared<SinkLog>();
  StreamPutsInto(log);
  ServerOptions options;
  options.max_stream_bytes = kMiB;
  StartServer(options);
  RawClient client(port());
  client.Send(PutHead(kMiB + 1, "Expect: 100-continue\r\n"));

  EXPECT_EQ(client.ReadResponse().status, 413);
  EXPECT_EQ(client.ReadToEof(), "");
  EXPECT_EQ(log->Writes(), 0u);
}

// Without a declared length the bound is counted as the chunks arrive.
TEST_F(HttpStreamTest, ChunkedBodyOverStreamLimitFinishesTooLarge) {
  auto log = std::make_shared<SinkLog>();
  StreamPutsInto(log);
  ServerOptions options;
  options.max_stream_bytes = kMiB;
  StartServer(options);
  const std::string chunk = Pattern(512 * 1024);
  std::string wire = "PUT /bucket/key HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n";
  for (int i = 0; i < 4; ++i) wire += "80000\r\n" + chunk + "\r\n";
  wire += "0\r\n\r\n";
  RawClient client(port());
  client.Send(wire);

  EXPECT_EQ(client.ReadResponse().status, 413);
  std::lock_guard lock(log->mu);
  EXPECT_LE(log->data.size(), kMiB);
  ASSERT_TRUE(log->finished.has_value());
  EXPECT_EQ(log->finished->code(), ErrorCode::kRequestTooLarge);
}

TEST_F(HttpStreamTest, ImmediateResponseDiscardsTheBodyAndCloses) {
  route_ = [](const RequestHead&) -> std::optional<StreamStart> {
    StreamStart start;
    start.response.emplace();
    start.response->status = 403;
    start.response->body = "denied";
    return start;
  };
  StartServer();
  RawClient client(port());
  client.Send(PutHead(100 * 1024) + Pattern(100 * 1024));
  const Reply reply = client.ReadResponse();

  EXPECT_EQ(reply.status, 403);
  EXPECT_EQ(reply.body, "denied");
  EXPECT_EQ(client.ReadToEof(), "");
}

// Two GETs on one connection, each answered with the whole object.
void ExpectStreamedTwiceWhole(std::uint16_t port, const std::string& object) {
  RawClient client(port);
  for (int i = 0; i < 2; ++i) {
    client.Send("GET /bucket/key HTTP/1.1\r\nHost: localhost\r\n\r\n");
    const Reply reply = client.ReadResponse();
    EXPECT_EQ(reply.status, 200);
    EXPECT_EQ(reply.Header("content-length"), std::to_string(object.size()));
    EXPECT_TRUE(reply.body == object) << "got " << reply.body.size() << " bytes";
  }
}

// The head announces the whole object; the body stops short, then the
// connection ends. Returns the body received.
std::string ExpectCutShort(std::uint16_t port, const std::string& object) {
  RawClient client(port);
  client.Send("GET /bucket/key HTTP/1.1\r\nHost: localhost\r\n\r\n");
  const Reply reply = ParseHead(client.ReadHead());
  const std::string body = client.ReadToEof();
  EXPECT_EQ(reply.status, 200);
  EXPECT_EQ(reply.Header("content-length"), std::to_string(object.size()));
  EXPECT_LT(body.size(), object.size());
  EXPECT_TRUE(body == object.substr(0, body.size())) << "got " << body.size() << " bytes";
  return body;
}

TEST_F(HttpStreamTest, StreamedResponseArrivesWhole) {
  const std::string object = Pattern(3 * kMiB);
  ServeStreamed(object, object.size());
  StartServer();
  ExpectStreamedTwiceWhole(port(), object);
}

TEST_F(HttpStreamTest, FailingSourceCutsTheBodyShortWithoutWrongBytes) {
  const std::string object = Pattern(3 * kMiB);
  ServeStreamed(object, kMiB + 17);
  StartServer();
  ExpectCutShort(port(), object);
}

// A body of one piece leaves with its head (one gather write); the
// connection then serves the next request.
TEST_F(HttpStreamTest, OnePieceStreamedResponseArrivesWholeAndKeepsAlive) {
  const std::string object = Pattern(64 * 1024);
  ServeStreamed(object, object.size());
  StartServer();
  ExpectStreamedTwiceWhole(port(), object);
}

TEST_F(HttpStreamTest, FailingOnePieceSourceCutsTheBodyShortWithoutWrongBytes) {
  const std::string object = Pattern(64 * 1024);
  ServeStreamed(object, 1000);
  StartServer();
  EXPECT_EQ(ExpectCutShort(port(), object).size(), 1000u);
}

TEST_F(HttpStreamTest, HeadAnswerAnnouncesLengthSendsNoBodyAndKeepsAlive) {
  handler_ = [](const auth::HttpRequest& r) {
    HttpResponse response;
    if (r.method == "HEAD") {
      response.content_length = 1234;
    } else {
      response.body = "next";
    }
    return response;
  };
  StartServer();
  RawClient client(port());
  client.Send("HEAD /bucket/key HTTP/1.1\r\nHost: localhost\r\n\r\n");
  const Reply head = ParseHead(client.ReadHead());
  EXPECT_EQ(head.status, 200);
  EXPECT_EQ(head.Header("content-length"), "1234");

  // Any body byte after the HEAD answer would come before this status line.
  client.Send("GET /bucket/key HTTP/1.1\r\nHost: localhost\r\n\r\n");
  const Reply next = client.ReadResponse();
  EXPECT_EQ(next.status, 200);
  EXPECT_EQ(next.body, "next");
}

TEST_F(HttpStreamTest, BufferedJsonPostStillWorks) {
  StartServer();
  const std::string json = R"({"KeyId":"alias/test","Plaintext":"aGVsbG8="})";
  RawClient client(port());
  client.Send(
      "POST / HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/x-amz-json-1.1\r\n"
      "Content-Length: " +
      std::to_string(json.size()) + "\r\n\r\n" + json);
  const Reply reply = client.ReadResponse();
  EXPECT_EQ(reply.status, 200);
  EXPECT_EQ(reply.body, json);

  client.Send("POST / HTTP/1.1\r\nHost: localhost\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n");
  EXPECT_EQ(client.ReadHead(), "HTTP/1.1 100 Continue\r\n\r\n");
  client.Send("{}");
  EXPECT_EQ(client.ReadResponse().body, "{}");
}

// A kept-alive connection reads each body into the previous one's string and
// each head's fields from the previous one's pool: a shorter body or fewer,
// shorter headers after longer ones must not keep any of the earlier bytes.
TEST_F(HttpStreamTest, KeptAliveConnectionReusesNothingVisibleOfThePreviousRequest) {
  std::vector<std::vector<std::pair<std::string, std::string>>> heads;
  handler_ = [&heads](const auth::HttpRequest& r) {
    heads.push_back(r.headers);
    HttpResponse response;
    response.body = r.body;
    return response;
  };
  StartServer();
  RawClient client(port());
  const std::string long_body = Pattern(40 * 1024);
  client.Send("POST / HTTP/1.1\r\nHost: localhost\r\nX-Long-Header-Name-One: " + std::string(300, 'v') +
              "\r\nX-Two: 2\r\nContent-Length: " + std::to_string(long_body.size()) + "\r\n\r\n" + long_body);
  EXPECT_EQ(client.ReadResponse().body, long_body);
  client.Send("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nabc");
  EXPECT_EQ(client.ReadResponse().body, "abc");
  client.Send("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n\r\n");
  EXPECT_EQ(client.ReadResponse().body, "");
  ASSERT_EQ(heads.size(), 3u);
  EXPECT_EQ(heads[0].size(), 4u);
  const std::vector<std::pair<std::string, std::string>> short_head = {{"Host", "h"},
                                                                       {"Content-Length", "3"}};
  EXPECT_EQ(heads[1], short_head);
  EXPECT_EQ(heads[2].size(), 2u);
}

TEST_F(HttpStreamTest, BufferedBodyAtTheLimitPassesOneByteMoreIs413) {
  StartServer();
  const std::string body = Pattern(kMiB + 1);
  {
    RawClient client(port());
    client.Send("POST / HTTP/1.1\r\nHost: localhost\r\nContent-Length: " + std::to_string(kMiB) + "\r\n\r\n" +
                body.substr(0, kMiB));
    EXPECT_EQ(client.ReadResponse().status, 200);
  }
  RawClient client(port());
  client.Send("POST / HTTP/1.1\r\nHost: localhost\r\nContent-Length: " + std::to_string(body.size()) +
              "\r\n\r\n" + body);
  const Reply reply = client.ReadResponse();
  EXPECT_EQ(reply.status, 413);
  EXPECT_EQ(reply.body, "error");
  EXPECT_EQ(client.ReadToEof(), "");
}

TEST_F(HttpStreamTest, BufferedChunkedBodyOverTheLimitIs413) {
  StartServer();
  const std::string chunk = Pattern(512 * 1024);
  std::string wire = "POST / HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n";
  for (int i = 0; i < 3; ++i) wire += "80000\r\n" + chunk + "\r\n";
  wire += "0\r\n\r\n";
  RawClient client(port());
  client.Send(wire);
  EXPECT_EQ(client.ReadResponse().status, 413);
}

// While Write blocks, the listener reads nothing more: the client fills the
// kernel buffers and then cannot send, and no further Write happens.
TEST_F(HttpStreamTest, BlockedSinkStopsTheReads) {
  auto log = std::make_shared<SinkLog>();
  Gate gate;
  StreamPutsInto(log, /*fail_at=*/0, &gate);
  StartServer();
  const std::string body = Pattern(16 * kMiB);
  const std::string wire = PutHead(body.size()) + body;
  RawClient client(port());
  client.socket().set_option(asio::socket_base::send_buffer_size(64 * 1024));
  client.Send(std::string_view(wire).substr(0, kStreamPieceBytes + 4096));
  gate.entered.get_future().wait();

  client.socket().non_blocking(true);
  std::size_t sent = kStreamPieceBytes + 4096;
  for (;;) {
    boost::system::error_code ec;
    sent += client.socket().write_some(asio::buffer(wire.data() + sent, wire.size() - sent), ec);
    if (ec == asio::error::would_block || sent == wire.size()) break;
    if (ec) {
      ADD_FAILURE() << ec.message();
      break;
    }
  }
  EXPECT_LT(sent, wire.size()) << "the server took the whole body while its sink was blocked";
  EXPECT_EQ(log->Writes(), 1u);

  gate.Release();
  client.socket().non_blocking(false);
  client.Send(std::string_view(wire).substr(sent));
  EXPECT_EQ(client.ReadResponse().status, 200);
  EXPECT_GT(log->Writes(), 1u);
  std::lock_guard lock(log->mu);
  EXPECT_TRUE(log->data == body) << "received " << log->data.size() << " of " << body.size() << " bytes";
}

// A sink waiting on the disk runs on the blocking pool, not on the io thread:
// the other connections (two io threads here, so at least one of the two
// shares the blocked connection's thread) are still answered meanwhile.
TEST_F(HttpStreamTest, BlockedSinkDoesNotHoldUpOtherConnections) {
  auto log = std::make_shared<SinkLog>();
  Gate gate;
  StreamPutsInto(log, /*fail_at=*/0, &gate);
  StartServer();
  RawClient uploader(port());
  uploader.Send(PutHead(5) + "hello");
  gate.entered.get_future().wait();

  std::vector<std::future<Reply>> others;
  for (int i = 0; i < 2; ++i) {
    others.push_back(std::async(std::launch::async, [this] {
      RawClient client(port());
      client.Send("POST / HTTP/1.1\r\nHost: localhost\r\nContent-Length: 2\r\n\r\n{}");
      return client.ReadResponse();
    }));
  }
  for (auto& other : others) {
    const bool answered = other.wait_for(std::chrono::seconds(30)) == std::future_status::ready;
    EXPECT_TRUE(answered) << "a connection waited for another connection's sink";
    if (!answered) gate.Release();
    EXPECT_EQ(other.get().body, "{}");
  }
  gate.Release();
  EXPECT_EQ(uploader.ReadResponse().body, "stored 5");
}

// Stop while a Write is in the pool: the upload is still answered (closing
// the connection), the sink is released, and Run returns (TearDown joins).
TEST_F(HttpStreamTest, StopWhileASinkIsInThePoolStillAnswers) {
  auto log = std::make_shared<SinkLog>();
  Gate gate;
  StreamPutsInto(log, /*fail_at=*/0, &gate);
  StartServer();
  auto destroyed = log->destroyed.get_future();
  RawClient uploader(port());
  uploader.Send(PutHead(5) + "hello");
  gate.entered.get_future().wait();
  server_->Stop();
  gate.Release();
  const Reply reply = uploader.ReadResponse();

  EXPECT_EQ(reply.status, 200);
  EXPECT_EQ(reply.body, "stored 5");
  EXPECT_EQ(Lower(reply.Header("connection")), "close");
  destroyed.wait();
}

// Records the thread that ran Finish.
class ThreadNotingSink final : public BodySink {
 public:
  explicit ThreadNotingSink(std::promise<std::thread::id>* finished_on) : finished_on_(finished_on) {}
  Status Write(std::string_view) override { return Status::Ok(); }
  HttpResponse Finish(const Status&) override {
    finished_on_->set_value(std::this_thread::get_id());
    return HttpResponse{};
  }

 private:
  std::promise<std::thread::id>* finished_on_;
};

// An upload's Finish (fsync, commit) leaves the io thread that routed it; a
// bodiless GET's (reads only) stays there, saving two hand-offs.
TEST_F(HttpStreamTest, UploadsFinishOnThePoolBodilessGetsOnTheIoThread) {
  for (const std::string method : {"PUT", "GET"}) {
    std::promise<std::thread::id> routed_on;
    std::promise<std::thread::id> finished_on;
    route_ = [&](const RequestHead&) -> std::optional<StreamStart> {
      routed_on.set_value(std::this_thread::get_id());
      StreamStart start;
      start.sink = std::make_unique<ThreadNotingSink>(&finished_on);
      return start;
    };
    if (!server_) StartServer();
    RawClient client(port());
    client.Send(method == "PUT" ? PutHead(3) + "abc" : "GET /bucket/key HTTP/1.1\r\nHost: localhost\r\n\r\n");
    EXPECT_EQ(client.ReadResponse().status, 200) << method;
    const std::thread::id io = routed_on.get_future().get();
    const std::thread::id finish = finished_on.get_future().get();
    if (method == "PUT") {
      EXPECT_NE(finish, io);
    } else {
      EXPECT_EQ(finish, io);
    }
  }
}

// Without a pool (blocking_threads 0) the same contract holds on the io thread.
TEST_F(HttpStreamTest, WithoutAPoolBodiesStillStreamBothWays) {
  auto log = std::make_shared<SinkLog>();
  StreamPutsInto(log);
  const std::string object = Pattern(kMiB + 3);
  handler_ = [&object](const auth::HttpRequest&) {
    HttpResponse response;
    response.stream = std::make_shared<PatternSource>(object, object.size());
    response.content_length = object.size();
    return response;
  };
  ServerOptions options;
  options.blocking_threads = 0;
  StartServer(options);
  const std::string body = Pattern(kMiB);
  RawClient client(port());
  client.Send(PutHead(body.size()) + body);
  EXPECT_EQ(client.ReadResponse().body, "stored " + std::to_string(body.size()));
  client.Send("GET /bucket/key HTTP/1.1\r\nHost: localhost\r\n\r\n");
  const Reply reply = client.ReadResponse();
  EXPECT_TRUE(reply.body == object) << "got " << reply.body.size() << " bytes";
}

// Nobody is left to answer, but the sink is released so its owner can clean up.
TEST_F(HttpStreamTest, ClientLeavingMidBodyReleasesTheSink) {
  auto log = std::make_shared<SinkLog>();
  StreamPutsInto(log);
  StartServer();
  auto destroyed = log->destroyed.get_future();
  {
    RawClient client(port());
    client.Send(PutHead(kMiB) + Pattern(kStreamPieceBytes + 10));
  }
  destroyed.wait();
  std::lock_guard lock(log->mu);
  EXPECT_GE(log->pieces.size(), 1u);
}

}  // namespace
}  // namespace coffer::server

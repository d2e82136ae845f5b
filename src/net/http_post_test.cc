// PostJson against real loopback listeners: one that answers, one that
// accepts and stays silent (the deadline must end the call).
#include "net/http_post.h"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/write.hpp>
#include <thread>

namespace coffer::net {
namespace {

using tcp = boost::asio::ip::tcp;

TEST(ParseHttpUrlTest, SplitsHostPortAndTarget) {
  auto url = ParseHttpUrl("http://127.0.0.1:8080/rotate/now");
  ASSERT_TRUE(url.ok());
  EXPECT_EQ(url->host, "127.0.0.1");
  EXPECT_EQ(url->port, "8080");
  EXPECT_EQ(url->target, "/rotate/now");
  auto bare = ParseHttpUrl("http://example.com");
  ASSERT_TRUE(bare.ok());
  EXPECT_EQ(bare->port, "80");
  EXPECT_EQ(bare->target, "/");
}

TEST(ParseHttpUrlTest, RefusesOtherSchemesAndEmptyHosts) {
  EXPECT_EQ(ParseHttpUrl("https://example.com/x").status().code(), ErrorCode::kValidation);
  EXPECT_EQ(ParseHttpUrl("ftp://example.com").status().code(), ErrorCode::kValidation);
  EXPECT_EQ(ParseHttpUrl("http://").status().code(), ErrorCode::kValidation);
  EXPECT_EQ(ParseHttpUrl("http://:80/").status().code(), ErrorCode::kValidation);
}

class Listener {
 public:
  explicit Listener(bool answer)
      : acceptor_(io_, tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 0)) {
    thread_ = std::thread([this, answer] {
      tcp::socket socket(io_);
      acceptor_.accept(socket);
      boost::asio::streambuf request;
      boost::system::error_code ec;
      boost::asio::read_until(socket, request, "\r\n\r\n", ec);
      received_ = !ec;
      if (answer) {
        boost::asio::write(
            socket,
            boost::asio::buffer(std::string_view("HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n")),
            ec);
      } else {
        // Silent: hold the connection until the client gives up.
        char byte = 0;
        socket.read_some(boost::asio::buffer(&byte, 1), ec);
      }
    });
  }
  ~Listener() { thread_.join(); }
  Listener(const Listener&) = delete;
  Listener& operator=(const Listener&) = delete;
  HttpUrl url() const { return {"127.0.0.1", std::to_string(acceptor_.local_endpoint().port()), "/hook"}; }
  bool received() const { return received_; }

 private:
  boost::asio::io_context io_;
  tcp::acceptor acceptor_;
  std::thread thread_;
  bool received_ = false;
};

TEST(PostJsonTest, ReturnsTheAnswersStatus) {
  auto status = [] {
    Listener listener(/*answer=*/true);
    return PostJson(listener.url(), R"({"a":1})", {{"X-Test", "1"}}, std::chrono::seconds(5));
  }();
  ASSERT_TRUE(status.ok()) << status.status().message();
  EXPECT_EQ(*status, 204);
}

TEST(PostJsonTest, ASilentListenerEndsInUnavailableAtTheDeadline) {
  Listener listener(/*answer=*/false);
  auto status = PostJson(listener.url(), "{}", {}, std::chrono::milliseconds(200));
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.status().code(), ErrorCode::kUnavailable);
}

TEST(PostJsonTest, ARefusedConnectionIsUnavailable) {
  HttpUrl closed;
  {
    Listener probe(/*answer=*/true);
    closed = probe.url();
    ASSERT_TRUE(PostJson(closed, "{}", {}, std::chrono::seconds(5)).ok());
  }
  auto status = PostJson(closed, "{}", {}, std::chrono::seconds(5));
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.status().code(), ErrorCode::kUnavailable);
}

}  // namespace
}  // namespace coffer::net

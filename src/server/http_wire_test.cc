#include "server/http_wire.h"

#include <gtest/gtest.h>

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <vector>

namespace coffer::server {
namespace {

namespace http = boost::beast::http;

// Beast's parser is the oracle: what we write must parse back to the parts.
http::response<http::string_body> Parse(const std::string& wire) {
  http::response_parser<http::string_body> parser;
  boost::beast::error_code ec;
  std::size_t used = 0;
  while (!parser.is_done() && !ec && used < wire.size()) {  // the head, then the body
    used += parser.put(boost::asio::buffer(wire.data() + used, wire.size() - used), ec);
  }
  EXPECT_FALSE(ec) << ec.message();
  EXPECT_EQ(used, wire.size());
  EXPECT_TRUE(parser.is_done());
  return parser.release();
}

TEST(HttpWire, StatusHeadersAndBodyParseBack) {
  const std::vector<WireHeader> headers = {{"Content-Type", "application/x-amz-json-1.1"},
                                           {"x-amzn-RequestId", "abc-123"}};
  const auto message = Parse(SerializeResponse(400, headers, R"({"__type":"X"})", 11, true));
  EXPECT_EQ(message.result_int(), 400);
  EXPECT_EQ(message.reason(), "Bad Request");
  EXPECT_EQ(message.version(), 11u);
  EXPECT_EQ(message[http::field::content_type], "application/x-amz-json-1.1");
  EXPECT_EQ(message["x-amzn-RequestId"], "abc-123");
  EXPECT_EQ(message[http::field::server], "coffer");
  EXPECT_EQ(message[http::field::content_length], "14");
  EXPECT_EQ(message.body(), R"({"__type":"X"})");
  EXPECT_TRUE(message.keep_alive());
}

TEST(HttpWire, ConnectionHeaderOnlyWhenNotTheVersionDefault) {
  EXPECT_FALSE(Parse(SerializeResponse(200, {}, "", 11, false)).keep_alive());
  EXPECT_EQ(SerializeResponse(200, {}, "", 11, true).find("Connection"), std::string::npos);
  EXPECT_TRUE(Parse(SerializeResponse(200, {}, "", 10, true)).keep_alive());
  EXPECT_FALSE(Parse(SerializeResponse(200, {}, "", 10, false)).keep_alive());
  EXPECT_EQ(SerializeResponse(200, {}, "", 10, false).rfind("HTTP/1.0 200 OK\r\n", 0), 0u);
}

TEST(HttpWire, EmptyBodyHasContentLengthZero) {
  const auto message = Parse(SerializeResponse(204, {}, "", 11, true));
  EXPECT_EQ(message.result_int(), 204);
  EXPECT_TRUE(message.body().empty());
  EXPECT_NE(SerializeResponse(200, {}, "", 11, true).find("\r\nContent-Length: 0\r\n"), std::string::npos);
}

TEST(HttpWire, CallerCannotSetFramingHeaders) {
  const std::vector<WireHeader> headers = {{"content-length", "999"},
                                           {"Transfer-Encoding", "chunked"},
                                           {"Connection", "close"},
                                           {"SERVER", "other"}};
  const std::string wire = SerializeResponse(200, headers, "hello", 11, true);
  const auto message = Parse(wire);
  EXPECT_EQ(message[http::field::content_length], "5");
  EXPECT_EQ(message.count(http::field::transfer_encoding), 0u);
  EXPECT_EQ(message[http::field::server], "coffer");
  EXPECT_TRUE(message.keep_alive());
  EXPECT_EQ(message.body(), "hello");
}

TEST(HttpWire, CrLfInAHeaderCannotSplitTheResponse) {
  const std::vector<WireHeader> headers = {{"x-amzn-RequestId", "a\r\nSet-Cookie: evil"},
                                           {"x-bad\nname", "v"}};
  const std::string wire = SerializeResponse(200, headers, "{}", 11, true);
  const auto message = Parse(wire);
  EXPECT_EQ(message.count(http::field::set_cookie), 0u);
  EXPECT_EQ(message["x-amzn-RequestId"], "a  Set-Cookie: evil");
  EXPECT_EQ(wire.find("x-bad"), std::string::npos);
  EXPECT_EQ(message.body(), "{}");
}

TEST(HttpWire, RecycledHeadersHoldExactlyWhatIsAskedForNothingOfTheListGivenBack) {
  GiveBackHeaders({{"X-Old-One", std::string(100, 'a')}, {"X-Old-Two", "b"}, {"X-Old-Three", "c"}});
  const std::vector<WireHeader> list = RecycledHeaders({{"Content-Type", "text/plain"}, {"X-Id", "42"}});
  const std::vector<WireHeader> expected = {{"Content-Type", "text/plain"}, {"X-Id", "42"}};
  EXPECT_EQ(list, expected);
  EXPECT_TRUE(RecycledHeaders({}).empty());
}

}  // namespace
}  // namespace coffer::server

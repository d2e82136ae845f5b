// Test support: a loopback HTTP listener on a free port that takes one
// connection and either answers 204 or stays silent until the client gives
// up (for deadline tests of outgoing HTTP clients).
#pragma once

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/write.hpp>
#include <string_view>
#include <thread>

namespace coffer::net {

class TestListener {
 public:
  explicit TestListener(bool answer)
      : acceptor_(io_, boost::asio::ip::tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 0)) {
    thread_ = std::thread([this, answer] {
      boost::asio::ip::tcp::socket socket(io_);
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
  ~TestListener() { thread_.join(); }
  TestListener(const TestListener&) = delete;
  TestListener& operator=(const TestListener&) = delete;
  unsigned short port() const { return acceptor_.local_endpoint().port(); }
  bool received() const { return received_; }

 private:
  boost::asio::io_context io_;
  boost::asio::ip::tcp::acceptor acceptor_;
  std::thread thread_;
  std::atomic<bool> received_ = false;
};

}  // namespace coffer::net

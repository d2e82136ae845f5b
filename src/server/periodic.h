// A callback every `interval` on one io_context until Stop(). Stop() also
// covers a callback whose timer has already fired but not yet run: cancelling
// the timer alone misses that one, which then re-arms the timer and keeps the
// io_context (and a shutting-down server) running for ever.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <functional>

namespace coffer::server {

class Periodic {
 public:
  Periodic(boost::asio::io_context& io, std::chrono::steady_clock::duration interval,
           std::function<void()> fn);
  Periodic(const Periodic&) = delete;
  Periodic& operator=(const Periodic&) = delete;

  // On the io_context's thread. No callback starts after it returns.
  void Stop();

 private:
  void Arm();

  boost::asio::steady_timer timer_;
  std::chrono::steady_clock::duration interval_;
  std::function<void()> fn_;
  bool stopped_ = false;
};

}  // namespace coffer::server

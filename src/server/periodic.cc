#include "server/periodic.h"

#include <utility>

namespace coffer::server {

Periodic::Periodic(boost::asio::io_context& io, std::chrono::steady_clock::duration interval,
                   std::function<void()> fn)
    : timer_(io), interval_(interval), fn_(std::move(fn)) {
  Arm();
}

void Periodic::Stop() {
  stopped_ = true;
  timer_.cancel();
}

void Periodic::Arm() {
  timer_.expires_after(interval_);
  timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec || stopped_) return;
    fn_();
    if (!stopped_) Arm();
  });
}

}  // namespace coffer::server

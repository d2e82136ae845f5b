// A fixed set of threads for work that blocks on the disk (a blob's fsync, a
// metadata commit, a pread of a cold file), so that the io threads go on
// serving the other connections meanwhile. The io threads only hand work
// over and take the result back (HttpServer: streamed request and response
// bodies); the pool never touches a socket.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace coffer::server {

class BlockingPool {
 public:
  // `threads` >= 1 threads, started now.
  explicit BlockingPool(std::size_t threads);
  // Runs every task already posted (a task in the queue holds a connection
  // that waits for its answer), then joins the threads.
  ~BlockingPool();
  BlockingPool(const BlockingPool&) = delete;
  BlockingPool& operator=(const BlockingPool&) = delete;

  // Queues `task`; tasks start in the order posted, at most `threads()` at a
  // time. The queue itself is not bounded: its callers bound it (one task per
  // connection at a time).
  void Post(std::function<void()> task);
  std::size_t threads() const { return threads_.size(); }

 private:
  void Work();

  std::mutex mu_;
  std::condition_variable ready_;
  std::deque<std::function<void()>> queue_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace coffer::server

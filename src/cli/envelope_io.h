// Files for `coffer encrypt/decrypt`: an output that appears only when
// complete (temp file + rename), stdout, the read loop with its progress bar.
#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <string>

#include "coffer/envelope.h"

namespace coffer::cli {

// Writes to a temp file beside `path`; Commit makes it `path` atomically
// (refusing an existing file unless `overwrite`); dropping it uncommitted
// removes the temp file, so no partial output is ever left behind.
class AtomicOutput final : public envelope::Sink {
 public:
  static StatusOr<std::unique_ptr<AtomicOutput>> Create(const std::filesystem::path& path, bool overwrite,
                                                        bool private_mode);
  ~AtomicOutput() override;
  AtomicOutput(const AtomicOutput&) = delete;
  AtomicOutput& operator=(const AtomicOutput&) = delete;
  Status Write(ByteView bytes) override;
  Status Commit();

 private:
  AtomicOutput(std::filesystem::path path, std::filesystem::path temp, int fd, bool overwrite)
      : path_(std::move(path)), temp_(std::move(temp)), fd_(fd), overwrite_(overwrite) {}
  std::filesystem::path path_, temp_;
  int fd_;
  bool overwrite_;
  bool committed_ = false;
};

class FdSink final : public envelope::Sink {
 public:
  explicit FdSink(int fd) : fd_(fd) {}
  Status Write(ByteView bytes) override;

 private:
  int fd_;
};

// Progress on stderr for inputs over a few MB when stderr is a terminal.
struct ProgressOptions {
  bool enabled = true;
  std::string label;
  std::uint64_t total = 0;  // 0: unknown (stdin): no bar
};

// Reads `fd` to its end in large chunks, passing each to `consume`.
Status PumpFd(int fd, const std::function<Status(ByteView)>& consume, const ProgressOptions& progress);

// Exact bytes of a (small) file, e.g. a key file.
StatusOr<Bytes> ReadSmallFile(const std::filesystem::path& path);

}  // namespace coffer::cli

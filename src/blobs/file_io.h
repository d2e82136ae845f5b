// Small POSIX file helpers for the blob store: an owned descriptor, positional
// reads and writes that loop until done, and directory fsync. Internal.
#pragma once

#include <cstdint>
#include <filesystem>
#include <span>
#include <string_view>

#include "common/status_or.h"

namespace coffer::blobs::internal {

// Owns a file descriptor; closes it on destruction.
class ScopedFd {
 public:
  ScopedFd() = default;
  explicit ScopedFd(int fd) : fd_(fd) {}
  ~ScopedFd() { Close(); }
  ScopedFd(ScopedFd&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  ScopedFd& operator=(ScopedFd&& other) noexcept;
  ScopedFd(const ScopedFd&) = delete;
  ScopedFd& operator=(const ScopedFd&) = delete;

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  void Close();

 private:
  int fd_ = -1;
};

// kInternal naming `what` and `path`, with the errno text.
Status IoError(std::string_view what, const std::filesystem::path& path);

// Writes all of `data` at `offset`.
Status WriteAllAt(int fd, std::uint64_t offset, std::span<const std::uint8_t> data,
                  const std::filesystem::path& path);
// Fills all of `out` from `offset`; kInternal when the file ends first.
Status ReadAllAt(int fd, std::uint64_t offset, std::span<std::uint8_t> out,
                 const std::filesystem::path& path);
StatusOr<std::uint64_t> FileLength(int fd, const std::filesystem::path& path);
// Makes a directory's entries (a rename, a new file, an unlink) durable.
Status FsyncDir(const std::filesystem::path& dir);
// Creates `dir` with mode 0700 when missing and fsyncs its parent then.
Status EnsureDir(const std::filesystem::path& dir);

}  // namespace coffer::blobs::internal

#include "blobs/file_io.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace coffer::blobs::internal {

ScopedFd& ScopedFd::operator=(ScopedFd&& other) noexcept {
  if (this != &other) {
    Close();
    fd_ = other.fd_;
    other.fd_ = -1;
  }
  return *this;
}

void ScopedFd::Close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

Status IoError(std::string_view what, const std::filesystem::path& path) {
  return InternalError(std::string(what) + " " + path.string() + ": " + std::strerror(errno));
}

Status WriteAllAt(int fd, std::uint64_t offset, std::span<const std::uint8_t> data,
                  const std::filesystem::path& path) {
  while (!data.empty()) {
    const ssize_t n = ::pwrite(fd, data.data(), data.size(), static_cast<off_t>(offset));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return IoError("cannot write", path);
    data = data.subspan(static_cast<std::size_t>(n));
    offset += static_cast<std::uint64_t>(n);
  }
  return Status::Ok();
}

Status ReadAllAt(int fd, std::uint64_t offset, std::span<std::uint8_t> out,
                 const std::filesystem::path& path) {
  while (!out.empty()) {
    const ssize_t n = ::pread(fd, out.data(), out.size(), static_cast<off_t>(offset));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return IoError("cannot read", path);
    if (n == 0) return InternalError("unexpected end of " + path.string());
    out = out.subspan(static_cast<std::size_t>(n));
    offset += static_cast<std::uint64_t>(n);
  }
  return Status::Ok();
}

StatusOr<std::uint64_t> FileLength(int fd, const std::filesystem::path& path) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) return IoError("cannot stat", path);
  return static_cast<std::uint64_t>(st.st_size);
}

Status FsyncDir(const std::filesystem::path& dir) {
  const ScopedFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd.valid()) return IoError("cannot open directory", dir);
  if (::fsync(fd.get()) != 0) return IoError("cannot fsync directory", dir);
  return Status::Ok();
}

Status EnsureDir(const std::filesystem::path& dir) {
  if (::mkdir(dir.c_str(), 0700) == 0) return FsyncDir(dir.parent_path().empty() ? "." : dir.parent_path());
  struct stat st {};
  if (errno == EEXIST && ::stat(dir.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) return Status::Ok();
  return IoError("cannot create directory", dir);
}

}  // namespace coffer::blobs::internal

#include "cli/envelope_io.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <vector>

namespace coffer::cli {
namespace {

namespace fs = std::filesystem;

constexpr std::size_t kReadChunk = 1 << 20;
constexpr std::uint64_t kProgressMinBytes = 4 << 20;

Status IoError(const std::string& what, const fs::path& path) {
  return ValidationError(what + " " + path.string() + ": " + std::strerror(errno));
}

class ProgressBar {
 public:
  explicit ProgressBar(const ProgressOptions& options)
      : options_(options),
        on_(options.enabled && options.total >= kProgressMinBytes && ::isatty(STDERR_FILENO) == 1),
        start_(std::chrono::steady_clock::now()) {}

  void Advance(std::uint64_t done) {
    if (!on_) return;
    const int percent = static_cast<int>(done * 100 / options_.total);
    if (percent == last_percent_) return;
    last_percent_ = percent;
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    const double mbps = seconds > 0 ? static_cast<double>(done) / 1e6 / seconds : 0;
    std::string bar(static_cast<std::size_t>(percent / 4), '#');
    bar.resize(25, '.');
    std::fprintf(stderr, "\r%s [%s] %3d%% %7.1f MB/s", options_.label.c_str(), bar.c_str(), percent, mbps);
    if (percent == 100) std::fprintf(stderr, "\n");
  }

 private:
  ProgressOptions options_;
  bool on_;
  int last_percent_ = -1;
  std::chrono::steady_clock::time_point start_;
};

}  // namespace

StatusOr<std::unique_ptr<AtomicOutput>> AtomicOutput::Create(const fs::path& path, bool overwrite,
                                                             bool private_mode) {
  std::error_code ec;
  if (!overwrite && fs::exists(path, ec)) {
    return ValidationError("refusing to overwrite " + path.string() + " (use --force)");
  }
  if (fs::is_directory(path, ec)) return ValidationError("output " + path.string() + " is a directory");
  const fs::path dir = path.has_parent_path() ? path.parent_path() : fs::path(".");
  std::string pattern = (dir / ("." + path.filename().string() + ".coffer-XXXXXX")).string();
  std::vector<char> name(pattern.begin(), pattern.end());
  name.push_back('\0');
  const int fd = ::mkstemp(name.data());  // mode 0600
  if (fd < 0) return IoError("cannot create a temporary file for", path);
  if (!private_mode) {
    const mode_t mask = ::umask(0);
    ::umask(mask);
    ::fchmod(fd, 0666 & ~mask);
  }
  return std::unique_ptr<AtomicOutput>(new AtomicOutput(path, fs::path(name.data()), fd, overwrite));
}

AtomicOutput::~AtomicOutput() {
  if (fd_ >= 0) ::close(fd_);
  if (!committed_) ::unlink(temp_.c_str());
}

Status AtomicOutput::Write(ByteView bytes) {
  FdSink sink(fd_);
  return sink.Write(bytes);
}

Status AtomicOutput::Commit() {
  if (::fsync(fd_) != 0) return IoError("cannot flush", temp_);
  ::close(fd_);
  fd_ = -1;
  if (overwrite_) {
    if (::rename(temp_.c_str(), path_.c_str()) != 0) return IoError("cannot rename onto", path_);
  } else {
    // link() fails when the name exists: no window where a file that
    // appeared meanwhile is replaced.
    if (::link(temp_.c_str(), path_.c_str()) != 0) {
      if (errno == EEXIST)
        return ValidationError("refusing to overwrite " + path_.string() + " (use --force)");
      return IoError("cannot create", path_);
    }
    ::unlink(temp_.c_str());
  }
  committed_ = true;
  return Status::Ok();
}

Status FdSink::Write(ByteView bytes) {
  while (!bytes.empty()) {
    const ssize_t n = ::write(fd_, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return ValidationError(std::string("write failed: ") + std::strerror(errno));
    bytes = bytes.subspan(static_cast<std::size_t>(n));
  }
  return Status::Ok();
}

Status PumpFd(int fd, const std::function<Status(ByteView)>& consume, const ProgressOptions& progress) {
  std::vector<std::uint8_t> buffer(kReadChunk);
  ProgressBar bar(progress);
  std::uint64_t done = 0;
  for (;;) {
    const ssize_t n = ::read(fd, buffer.data(), buffer.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return ValidationError(std::string("read failed: ") + std::strerror(errno));
    if (n == 0) return Status::Ok();
    RETURN_IF_ERROR(consume(ByteView(buffer.data(), static_cast<std::size_t>(n))));
    done += static_cast<std::uint64_t>(n);
    bar.Advance(done);
  }
}

StatusOr<Bytes> ReadSmallFile(const fs::path& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return IoError("cannot open", path);
  Bytes out;
  Status status = PumpFd(fd,
                         [&out](ByteView chunk) {
                           if (out.size() + chunk.size() > (1 << 20))
                             return ValidationError("key file larger than 1 MiB");
                           out.insert(out.end(), chunk.begin(), chunk.end());
                           return Status::Ok();
                         },
                         {false, "", 0});
  ::close(fd);
  if (!status.ok()) return status;
  return out;
}

}  // namespace coffer::cli

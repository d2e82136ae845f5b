// BlobStore over a directory: one file per blob under a two-hex-char shard,
// new blobs written under tmp/ and renamed into place on Commit.
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <string>
#include <string_view>
#include <system_error>

#include "blobs/blob_store.h"
#include "blobs/file_blob.h"
#include "blobs/file_io.h"
#include "blobs/format.h"
#include "common/encoding.h"

namespace coffer::blobs {
namespace {

namespace fs = std::filesystem;
using internal::IsBlobId;

Status BadId() { return ValidationError("malformed blob id"); }

bool IsShardName(std::string_view name) { return name.size() == 2 && internal::IsLowerHex(name); }

class FileBlobStore final : public BlobStore {
 public:
  FileBlobStore(internal::StorePaths paths, std::uint32_t segment_bytes, internal::KeyWrapping wrapping,
                RandomSource& random)
      : paths_(std::move(paths)), segment_bytes_(segment_bytes), wrapping_(wrapping), random_(random) {}

  using BlobStore::Create;
  using BlobStore::Open;
  StatusOr<std::unique_ptr<BlobWriter>> Create(const BlobKeys& keys) override;
  StatusOr<std::unique_ptr<BlobReader>> Open(std::string_view id, const BlobKeys& keys) override;
  Status Remove(std::string_view id) override;
  Status Discard(std::string_view id) override;
  StatusOr<std::vector<std::string>> List() override;

 private:
  const internal::StorePaths paths_;
  const std::uint32_t segment_bytes_;
  const internal::KeyWrapping wrapping_;
  RandomSource& random_;
};

StatusOr<std::unique_ptr<BlobWriter>> FileBlobStore::Create(const BlobKeys& keys) {
  Bytes raw(internal::kIdLen / 2);
  RETURN_IF_ERROR(random_.Fill(raw));
  return internal::NewFileBlobWriter(paths_, HexEncode(raw), segment_bytes_, wrapping_, random_, keys);
}

StatusOr<std::unique_ptr<BlobReader>> FileBlobStore::Open(std::string_view id, const BlobKeys& keys) {
  if (!IsBlobId(id)) return BadId();
  return internal::OpenFileBlobReader(paths_, id, wrapping_, keys);
}

Status FileBlobStore::Remove(std::string_view id) {
  RETURN_IF_ERROR(Discard(id));
  return internal::FsyncDir(paths_.ShardDir(id));
}

Status FileBlobStore::Discard(std::string_view id) {
  if (!IsBlobId(id)) return BadId();
  const fs::path path = paths_.BlobFile(id);
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) return internal::IoError("cannot remove", path);
  return Status::Ok();
}

// Appends the ids of the blob files in one shard directory.
Status ListShard(const fs::path& shard, std::vector<std::string>& out_ids) {
  std::error_code error;
  for (fs::directory_iterator it(shard, error), end; !error && it != end; it.increment(error)) {
    const std::string name = it->path().filename().string();
    if (IsBlobId(name) && name.compare(0, 2, shard.filename().string()) == 0) out_ids.push_back(name);
  }
  if (error) return InternalError("cannot list " + shard.string() + ": " + error.message());
  return Status::Ok();
}

StatusOr<std::vector<std::string>> FileBlobStore::List() {
  std::vector<std::string> ids;
  std::error_code error;
  for (fs::directory_iterator it(paths_.dir, error), end; !error && it != end; it.increment(error)) {
    if (IsShardName(it->path().filename().string()) && it->is_directory()) {
      RETURN_IF_ERROR(ListShard(it->path(), ids));
    }
  }
  if (error) return InternalError("cannot list " + paths_.dir.string() + ": " + error.message());
  return ids;
}

// Whether a .partial may be removed: any of them when this process owns the
// directory; in a shared one, only those untouched for kSharedPartialAge.
bool Abandoned(const fs::directory_entry& entry, bool shared) {
  if (!shared) return true;
  std::error_code error;
  const auto written = entry.last_write_time(error);
  return !error && fs::file_time_type::clock::now() - written > kSharedPartialAge;
}

// Removes what writers interrupted by a crash left in tmp/.
Status RemovePartials(const fs::path& tmp, bool shared) {
  std::error_code error;
  bool removed = false;
  for (fs::directory_iterator it(tmp, error), end; !error && it != end; it.increment(error)) {
    if (it->path().extension() != ".partial" || !Abandoned(*it, shared)) continue;
    if (::unlink(it->path().c_str()) != 0 && errno != ENOENT)
      return internal::IoError("cannot remove", it->path());
    removed = true;
  }
  if (error) return InternalError("cannot list " + tmp.string() + ": " + error.message());
  return removed ? internal::FsyncDir(tmp) : Status::Ok();
}

// Every shard directory, made durable once here: a Commit then never renames
// into a directory whose own entry another process has not fsynced yet.
Status EnsureShards(const internal::StorePaths& paths) {
  static constexpr char kHex[] = "0123456789abcdef";
  for (const char high : std::string_view(kHex)) {
    for (const char low : std::string_view(kHex)) {
      const std::string prefix{high, low};
      RETURN_IF_ERROR(internal::EnsureDir(paths.ShardDir(prefix)));
    }
  }
  return internal::FsyncDir(paths.dir);
}

StatusOr<std::unique_ptr<BlobStore>> OpenStore(const FileBlobStoreOptions& options,
                                               const internal::KeyWrapping& wrapping, RandomSource& random) {
  if (options.dir.empty()) return InternalError("blob store directory is not set");
  if (options.segment_bytes == 0 || options.segment_bytes > kMaxSegmentBytes) {
    return InternalError("blob segment size must be between 1 byte and 16 MiB");
  }
  internal::StorePaths paths{fs::path(options.dir)};
  RETURN_IF_ERROR(internal::EnsureDir(paths.dir));
  RETURN_IF_ERROR(internal::EnsureDir(paths.TmpDir()));
  RETURN_IF_ERROR(EnsureShards(paths));
  RETURN_IF_ERROR(RemovePartials(paths.TmpDir(), options.shared));
  return std::unique_ptr<BlobStore>(std::make_unique<FileBlobStore>(
      std::move(paths), static_cast<std::uint32_t>(options.segment_bytes), wrapping, random));
}

}  // namespace

StatusOr<std::unique_ptr<BlobStore>> OpenFileBlobStore(const FileBlobStoreOptions& options,
                                                       const rootkey::RootKey& root, RandomSource& random) {
  return OpenStore(options, internal::KeyWrapping{root, nullptr}, random);
}

StatusOr<std::unique_ptr<BlobStore>> OpenFileBlobStore(const FileBlobStoreOptions& options,
                                                       const rootkey::RootKey& root, BlobKeyring& keyring,
                                                       RandomSource& random) {
  return OpenStore(options, internal::KeyWrapping{root, &keyring}, random);
}

}  // namespace coffer::blobs

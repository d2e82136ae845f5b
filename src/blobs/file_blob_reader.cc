// Opens a committed blob file and decrypts the segments a read touches, one
// at a time into a single segment buffer.
#include <fcntl.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>
#include <optional>
#include <utility>

#include "blobs/file_blob.h"
#include "blobs/file_io.h"
#include "blobs/format.h"
#include "blobs/segment_cipher.h"

namespace coffer::blobs::internal {
namespace {

// Bytes read from a blob file, not zero-filled first (a small object's GET
// reads the whole file into one). Wiped when released: a single-segment file
// is decrypted in place, so they may hold plaintext.
class FileBytes {
 public:
  FileBytes() = default;
  explicit FileBytes(std::size_t len)
      : data_(std::make_unique_for_overwrite<std::uint8_t[]>(len)), len_(len) {}
  FileBytes(FileBytes&& other) noexcept : data_(std::move(other.data_)), len_(std::exchange(other.len_, 0)) {}
  FileBytes& operator=(FileBytes&&) = delete;
  ~FileBytes() { Wipe(); }

  std::uint8_t* data() { return data_.get(); }
  std::size_t size() const { return len_; }
  std::span<std::uint8_t> view() { return {data_.get(), len_}; }
  void Wipe() {
    if (data_) SecureWipe(data_.get(), len_);
  }

 private:
  std::unique_ptr<std::uint8_t[]> data_;
  std::size_t len_ = 0;
};

// Names the blob and nothing about the keys.
Status KeyDoesNotOpen(std::string_view id) {
  return {ErrorCode::kAccessDenied, "blob " + std::string(id) + ": the key given does not open it"};
}

class FileBlobReader final : public BlobReader {
 public:
  // `whole_file`: the file's bytes when it was small enough to read at once
  // (then no segment is read again), else empty.
  FileBlobReader(std::string id, std::filesystem::path path, ScopedFd fd, const Header& header,
                 std::unique_ptr<SegmentCipher> cipher, FileBytes whole_file)
      : id_(std::move(id)),
        path_(std::move(path)),
        fd_(std::move(fd)),
        layout_(HeaderLen(header), header.segment_bytes, header.size, cipher->overhead()),
        segment_bytes_(header.segment_bytes),
        size_(header.size),
        cipher_(std::move(cipher)),
        whole_file_(std::move(whole_file)),
        in_place_(whole_file_.size() > 0 && layout_.segment_count() == 1) {}

  std::uint64_t size() const override { return size_; }
  StatusOr<std::size_t> ReadAt(std::uint64_t offset, std::span<char> out) override;

  // Decrypts segment `index` into plain_ (a one-segment file read whole: in
  // place, in whole_file_), unless it is there already.
  // kAccessDenied when a layer under the caller's key fails (see
  // SegmentCipher::Open), kInternal for any other failure.
  Status LoadSegment(std::uint64_t index);
  const Layout& layout() const { return layout_; }

 private:
  const std::string id_;
  const std::filesystem::path path_;
  ScopedFd fd_;
  const Layout layout_;
  const std::uint64_t segment_bytes_;
  const std::uint64_t size_;
  std::unique_ptr<SegmentCipher> cipher_;
  SecretBytes plain_;  // allocated on the first segment not decrypted in place
  FileBytes whole_file_;
  // One segment, read whole: it is decrypted where it lies in whole_file_, so
  // a small object's GET allocates and wipes one buffer, not two.
  const bool in_place_;
  Bytes sealed_;                         // one sealed segment read from the file; allocated on the first read
  std::optional<std::uint64_t> loaded_;  // which segment is decrypted
  std::span<const std::uint8_t> loaded_plain_;  // its plaintext, in plain_ or whole_file_
};

Status FileBlobReader::LoadSegment(std::uint64_t index) {
  if (loaded_ == index) return Status::Ok();
  loaded_.reset();
  const auto len = static_cast<std::size_t>(layout_.PlainLen(index));
  const std::size_t sealed_len = len + cipher_->overhead();
  const std::uint64_t at = layout_.FileOffset(index);
  ByteView sealed;
  std::span<std::uint8_t> into_plain;
  if (in_place_) {
    // Decrypted once, at open (the only segment is the final one), and held.
    sealed = ByteView(whole_file_.data() + at, sealed_len);
    into_plain = std::span<std::uint8_t>(whole_file_.data() + at, len);
  } else if (at + sealed_len <= whole_file_.size()) {
    sealed = ByteView(whole_file_.data() + at, sealed_len);
  } else {
    if (sealed_.empty()) sealed_.resize(segment_bytes_ + cipher_->overhead());
    const std::span<std::uint8_t> into(sealed_.data(), sealed_len);
    RETURN_IF_ERROR(ReadAllAt(fd_.get(), at, into, path_));
    sealed = into;
  }
  if (!in_place_) {
    if (plain_.empty()) plain_ = SecretBytes(static_cast<std::size_t>(segment_bytes_));
    into_plain = plain_.mutable_view().first(len);
  }
  const bool final = layout_.IsFinal(index);
  const Status opened = cipher_->Open({index, final, size_}, sealed, into_plain);
  if (!opened.ok()) {
    if (in_place_) {
      SecureWipe(into_plain.data(), into_plain.size());
    } else {
      SecureWipe(plain_.data(), plain_.size());
    }
    const Status failure = AuthFailure(
        id_, "segment " + std::to_string(index) + (final ? " (final)" : "") + " " + opened.message());
    return {opened.code(), failure.message()};
  }
  loaded_ = index;
  loaded_plain_ = into_plain;
  return Status::Ok();
}

StatusOr<std::size_t> FileBlobReader::ReadAt(std::uint64_t offset, std::span<char> out) {
  std::size_t done = 0;
  while (done < out.size() && offset < size_) {
    const std::uint64_t index = offset / segment_bytes_;
    const auto within = static_cast<std::size_t>(offset % segment_bytes_);
    Status loaded = LoadSegment(index);
    if (!loaded.ok()) {
      SecureWipe(out.data(), done);
      // Open proved the caller's key, so any failure now is tampering.
      return InternalError(loaded.message());
    }
    const std::size_t n =
        std::min(out.size() - done, static_cast<std::size_t>(layout_.PlainLen(index)) - within);
    std::memcpy(out.data() + done, loaded_plain_.data() + within, n);
    done += n;
    offset += n;
  }
  return done;
}

// A file up to this long (the longest header and one 64 KiB segment, the
// store's default) is read whole with the header: one read for a small object.
constexpr std::uint64_t kReadWholeFileLen = kMaxHeaderLen + 64 * 1024 + 2 * kTagLen;

// Reads the header; `out_start` keeps the bytes read, the whole file when it
// is at most kReadWholeFileLen long.
StatusOr<Header> ReadHeader(int fd, std::string_view id, const std::filesystem::path& path,
                            std::uint64_t* out_file_len, std::optional<FileBytes>* out_start) {
  ASSIGN_OR_RETURN(*out_file_len, FileLength(fd, path));
  const std::uint64_t want = *out_file_len <= kReadWholeFileLen ? *out_file_len : kMaxHeaderLen;
  out_start->emplace(static_cast<std::size_t>(want));
  RETURN_IF_ERROR(ReadAllAt(fd, 0, (*out_start)->view(), path));
  return ParseHeader((*out_start)->view(), id);
}

}  // namespace

StatusOr<std::unique_ptr<BlobReader>> OpenFileBlobReader(const StorePaths& paths, std::string_view id,
                                                         const KeyWrapping& wrapping, const BlobKeys& keys) {
  ASSIGN_OR_RETURN(const Layer wanted, LayerFor(keys));
  const std::filesystem::path path = paths.BlobFile(id);
  ScopedFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid() && errno == ENOENT) return NotFoundError("blob " + std::string(id) + " not found");
  if (!fd.valid()) return IoError("cannot open", path);
  std::uint64_t file_len = 0;
  std::optional<FileBytes> start;
  ASSIGN_OR_RETURN(const Header header, ReadHeader(fd.get(), id, path, &file_len, &start));
  if (start->size() != file_len) start.reset();  // only the header: segments are read as needed
  // The layer byte is bound into the unwrap AAD: it is trusted only after this.
  ASSIGN_OR_RETURN(const SecretBytes data_key, UnwrapDataKey(id, wrapping, header));
  if (header.layer != wanted) return KeyDoesNotOpen(id);
  ASSIGN_OR_RETURN(auto cipher,
                   SegmentCipher::Create(id, header.layer, data_key, keys, header.segment_bytes));
  auto reader = std::make_unique<FileBlobReader>(std::string(id), path, std::move(fd), header,
                                                 std::move(cipher), start ? std::move(*start) : FileBytes());
  if (reader->layout().FileLen() != file_len) {
    return AuthFailure(id, "file length does not match the recorded size (truncated or extended)");
  }
  // Authenticating the final segment now proves size(), and the caller's key,
  // before any read.
  const Status final_segment = reader->LoadSegment(reader->layout().segment_count() - 1);
  if (final_segment.code() == ErrorCode::kAccessDenied) return KeyDoesNotOpen(id);
  RETURN_IF_ERROR(final_segment);
  return std::unique_ptr<BlobReader>(std::move(reader));
}

}  // namespace coffer::blobs::internal

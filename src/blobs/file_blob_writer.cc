// Streams a blob into dir/tmp/<id>.partial one sealed segment at a time, then
// makes it durable and renames it into place.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>

#include "blobs/file_blob.h"
#include "blobs/file_io.h"
#include "blobs/format.h"
#include "blobs/segment_cipher.h"
#include "crypto/crypto.h"

namespace coffer::blobs::internal {
namespace {

// Sealed segments written per pwrite: a 256 KiB piece of a 64 KiB-segment
// blob in one system call instead of four.
constexpr std::size_t kSegmentsPerWrite = 4;

class FileBlobWriter final : public BlobWriter {
 public:
  FileBlobWriter(StorePaths paths, std::string id, const Header& header, ScopedFd fd,
                 std::unique_ptr<SegmentCipher> cipher)
      : paths_(std::move(paths)),
        id_(std::move(id)),
        size_offset_(SizeFieldOffset(header)),
        fd_(std::move(fd)),
        cipher_(std::move(cipher)),
        plain_(header.segment_bytes),
        sealed_segment_len_(header.segment_bytes + cipher_->overhead()),
        file_offset_(HeaderLen(header)) {}
  ~FileBlobWriter() override;
  FileBlobWriter(const FileBlobWriter&) = delete;
  FileBlobWriter& operator=(const FileBlobWriter&) = delete;

  Status Write(std::string_view data) override;
  StatusOr<BlobInfo> Commit() override;

 private:
  enum class State { kOpen, kFailed, kCommitted };

  // Seals the buffered plaintext as the next segment and appends it.
  Status SealSegment(bool final);
  // Seals `plain` as the next segment into sealed_; written with the ones
  // before it once sealed_ is full or the segment is the final one.
  Status SealAndAppend(ByteView plain, bool final);
  // Appends the sealed segments held in sealed_ to the file.
  Status WriteSealed();
  Status MakeDurable();
  Status Fail(Status status) {
    state_ = State::kFailed;
    return status;
  }

  const StorePaths paths_;
  const std::string id_;
  const std::size_t size_offset_;
  ScopedFd fd_;
  std::unique_ptr<SegmentCipher> cipher_;
  SecretBytes plain_;  // one segment of plaintext; the first `buffered_` bytes are live
  // Sealed segments not yet written: room for one, then for kSegmentsPerWrite
  // once a blob has a second segment (a small blob allocates only one).
  const std::size_t sealed_segment_len_;
  std::unique_ptr<std::uint8_t[]> sealed_;
  std::size_t sealed_room_ = 0;  // segments sealed_ holds
  std::size_t sealed_len_ = 0;   // bytes of sealed_ not yet written
  std::size_t buffered_ = 0;
  std::uint64_t next_index_ = 0;
  std::uint64_t size_ = 0;
  std::uint64_t file_offset_;
  State state_ = State::kOpen;
};

FileBlobWriter::~FileBlobWriter() {
  if (state_ == State::kCommitted) return;
  fd_.Close();
  ::unlink(paths_.TmpFile(id_).c_str());
}

Status FileBlobWriter::Write(std::string_view data) {
  if (state_ != State::kOpen) return InternalError("blob " + id_ + " writer is no longer open");
  if (data.size() > kMaxBlobBytes - size_) return Fail(InternalError("blob " + id_ + " is too large"));
  while (!data.empty()) {
    // A full buffer is sealed only once more data arrives: until Commit, any
    // segment may still turn out to be the final one.
    if (buffered_ == plain_.size()) RETURN_IF_ERROR(SealSegment(/*final=*/false));
    // A whole segment with more bytes after it is sealed straight from the
    // caller's bytes, without the copy into plain_.
    if (buffered_ == 0 && data.size() > plain_.size()) {
      const ByteView whole(reinterpret_cast<const std::uint8_t*>(data.data()), plain_.size());
      size_ += whole.size();
      RETURN_IF_ERROR(SealAndAppend(whole, /*final=*/false));
      data.remove_prefix(whole.size());
      continue;
    }
    const std::size_t n = std::min(data.size(), plain_.size() - buffered_);
    std::memcpy(plain_.data() + buffered_, data.data(), n);
    buffered_ += n;
    size_ += n;
    data.remove_prefix(n);
  }
  return Status::Ok();
}

Status FileBlobWriter::SealSegment(bool final) {
  RETURN_IF_ERROR(SealAndAppend(plain_.view().first(buffered_), final));
  buffered_ = 0;
  return Status::Ok();
}

Status FileBlobWriter::SealAndAppend(ByteView plain, bool final) {
  if (sealed_room_ < (next_index_ == 0 ? 1 : kSegmentsPerWrite)) {
    // Only the first segment (possibly the only one) or an empty buffer gets here.
    sealed_room_ = next_index_ == 0 ? 1 : kSegmentsPerWrite;
    sealed_ = std::make_unique_for_overwrite<std::uint8_t[]>(sealed_room_ * sealed_segment_len_);
  }
  const std::span<std::uint8_t> segment(sealed_.get() + sealed_len_, plain.size() + cipher_->overhead());
  Status sealed = cipher_->Seal({next_index_, final, size_}, plain, segment);
  if (!sealed.ok()) return Fail(std::move(sealed));
  sealed_len_ += segment.size();
  ++next_index_;
  if (final || sealed_len_ + sealed_segment_len_ > sealed_room_ * sealed_segment_len_) return WriteSealed();
  return Status::Ok();
}

Status FileBlobWriter::WriteSealed() {
  Status written = WriteAllAt(fd_.get(), file_offset_,
                              std::span<const std::uint8_t>(sealed_.get(), sealed_len_), paths_.TmpFile(id_));
  if (!written.ok()) return Fail(std::move(written));
  file_offset_ += sealed_len_;
  sealed_len_ = 0;
  return Status::Ok();
}

StatusOr<BlobInfo> FileBlobWriter::Commit() {
  if (state_ != State::kOpen) return InternalError("blob " + id_ + " writer is no longer open");
  RETURN_IF_ERROR(SealSegment(/*final=*/true));
  plain_.Wipe();
  Status durable = MakeDurable();
  if (!durable.ok()) return Fail(std::move(durable));
  state_ = State::kCommitted;
  return BlobInfo{id_, size_};
}

Status FileBlobWriter::MakeDurable() {
  Bytes size_field;
  for (int shift = 56; shift >= 0; shift -= 8)
    size_field.push_back(static_cast<std::uint8_t>(size_ >> shift));
  const std::filesystem::path tmp = paths_.TmpFile(id_);
  RETURN_IF_ERROR(WriteAllAt(fd_.get(), size_offset_, size_field, tmp));
  if (::fsync(fd_.get()) != 0) return IoError("cannot fsync", tmp);
  fd_.Close();
  // The store made every shard directory durable when it opened; one removed
  // since is made again.
  const std::filesystem::path final_path = paths_.BlobFile(id_);
  if (std::rename(tmp.c_str(), final_path.c_str()) != 0) {
    if (errno != ENOENT) return IoError("cannot rename into", final_path);
    RETURN_IF_ERROR(EnsureDir(paths_.ShardDir(id_)));
    if (std::rename(tmp.c_str(), final_path.c_str()) != 0) return IoError("cannot rename into", final_path);
  }
  return FsyncDir(paths_.ShardDir(id_));
}

}  // namespace

StatusOr<std::unique_ptr<BlobWriter>> NewFileBlobWriter(const StorePaths& paths, std::string id,
                                                        std::uint32_t segment_bytes,
                                                        const KeyWrapping& wrapping, RandomSource& random,
                                                        const BlobKeys& keys) {
  Header header;
  ASSIGN_OR_RETURN(header.layer, LayerFor(keys));
  header.segment_bytes = segment_bytes;
  ASSIGN_OR_RETURN(const SecretBytes data_key, crypto::RandomSecret(random, kDataKeyLen));
  RETURN_IF_ERROR(WrapDataKey(id, wrapping, data_key, &header));
  ASSIGN_OR_RETURN(auto cipher, SegmentCipher::Create(id, header.layer, data_key, keys, segment_bytes));
  const std::filesystem::path tmp = paths.TmpFile(id);
  ScopedFd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
  if (!fd.valid()) return IoError("cannot create", tmp);
  Status written = WriteAllAt(fd.get(), 0, EncodeHeader(header), tmp);
  if (!written.ok()) {
    ::unlink(tmp.c_str());
    return written;
  }
  return std::unique_ptr<BlobWriter>(
      std::make_unique<FileBlobWriter>(paths, std::move(id), header, std::move(fd), std::move(cipher)));
}

}  // namespace coffer::blobs::internal

#include "s3/object_body.h"

#include <algorithm>

#include "crypto/checksum.h"

namespace coffer::s3 {

ObjectBody::ObjectBody(blobs::BlobStore& blobs, std::vector<BlobRef> parts, ObjectKeys keys,
                       std::uint64_t offset, std::uint64_t length)
    : blobs_(blobs), parts_(std::move(parts)), keys_(std::move(keys)), remaining_(length) {
  // Skip whole parts before the offset.
  while (part_ < parts_.size() && offset >= parts_[part_].size) {
    offset -= parts_[part_].size;
    ++part_;
  }
  part_offset_ = offset;
}

StatusOr<std::unique_ptr<ObjectBody>> ObjectBody::Open(blobs::BlobStore& blobs, std::vector<BlobRef> parts,
                                                       ObjectKeys keys, std::uint64_t offset,
                                                       std::uint64_t length) {
  std::unique_ptr<ObjectBody> body(new ObjectBody(blobs, std::move(parts), std::move(keys), offset, length));
  if (length > 0) RETURN_IF_ERROR(body->Seek());
  return body;
}

Status ObjectBody::Seek() {
  while (part_ < parts_.size() && part_offset_ >= parts_[part_].size) {
    part_offset_ = 0;
    ++part_;
    reader_.reset();
  }
  if (part_ >= parts_.size()) return InternalError("object body is shorter than its record says");
  if (!reader_) {
    ASSIGN_OR_RETURN(reader_, blobs_.Open(parts_[part_].blob, keys_.view()));
    if (reader_->size() != parts_[part_].size)
      return InternalError("object part size differs from its record");
  }
  return Status::Ok();
}

StatusOr<std::size_t> ObjectBody::Read(std::span<char> out) {
  if (remaining_ == 0 || out.empty()) return std::size_t{0};
  RETURN_IF_ERROR(Seek());
  const std::uint64_t in_part = parts_[part_].size - part_offset_;
  const std::size_t want =
      static_cast<std::size_t>(std::min<std::uint64_t>({out.size(), remaining_, in_part}));
  ASSIGN_OR_RETURN(std::size_t n, reader_->ReadAt(part_offset_, out.first(want)));
  if (n == 0) return InternalError("object part ended early");
  part_offset_ += n;
  remaining_ -= n;
  return n;
}

StatusOr<CopiedBody> CopyToNewBlob(blobs::BlobStore& blobs, server::BodySource& source,
                                   const blobs::BlobKeys& keys) {
  ASSIGN_OR_RETURN(auto writer, blobs.Create(keys));
  crypto::Md5 md5;
  std::vector<char> buffer(256 * 1024);
  std::uint64_t total = 0;
  for (;;) {
    ASSIGN_OR_RETURN(std::size_t n, source.Read(buffer));
    if (n == 0) break;
    const std::string_view piece(buffer.data(), n);
    md5.Update(piece);
    RETURN_IF_ERROR(writer->Write(piece));
    total += n;
  }
  ASSIGN_OR_RETURN(blobs::BlobInfo info, writer->Commit());
  return CopiedBody{info.id, total, md5.FinishHex()};
}

}  // namespace coffer::s3

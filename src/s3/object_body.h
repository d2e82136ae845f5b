// An object's bytes, read back from its blobs: a range of the concatenated
// parts, as a streamed response body (GetObject) or for copying (CopyObject,
// UploadPartCopy). One blob reader is open at a time; memory is one piece.
#pragma once

#include <memory>
#include <vector>

#include "blobs/blob_store.h"
#include "s3/encryption.h"
#include "s3/records.h"
#include "server/http_exchange.h"

namespace coffer::s3 {

class ObjectBody final : public server::BodySource {
 public:
  // Bytes [offset, offset + length) of the parts' concatenation, every
  // part sealed with `keys`. Open opens the first blob, so a missing or
  // damaged body fails before any response header is sent.
  static StatusOr<std::unique_ptr<ObjectBody>> Open(blobs::BlobStore& blobs, std::vector<BlobRef> parts,
                                                    ObjectKeys keys, std::uint64_t offset,
                                                    std::uint64_t length);
  StatusOr<std::size_t> Read(std::span<char> out) override;

 private:
  ObjectBody(blobs::BlobStore& blobs, std::vector<BlobRef> parts, ObjectKeys keys, std::uint64_t offset,
             std::uint64_t length);
  Status Seek();

  blobs::BlobStore& blobs_;
  std::vector<BlobRef> parts_;
  ObjectKeys keys_;
  std::uint64_t remaining_;
  std::size_t part_ = 0;           // index of the part holding the next byte
  std::uint64_t part_offset_ = 0;  // offset of the next byte inside that part
  std::unique_ptr<blobs::BlobReader> reader_;
};

// Copies a whole body into a new blob sealed with `keys`; returns it with
// its MD5 (hex).
struct CopiedBody {
  std::string blob;
  std::uint64_t size = 0;
  std::string md5_hex;
};
StatusOr<CopiedBody> CopyToNewBlob(blobs::BlobStore& blobs, server::BodySource& source,
                                   const blobs::BlobKeys& keys);

}  // namespace coffer::s3

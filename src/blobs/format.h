// The blob file format (see blob_store.h for the layout): header encoding and
// parsing, where each segment lives, and the nonce and AAD of each segment.
// Internal to src/blobs.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/bytes.h"
#include "common/status_or.h"

namespace coffer::blobs::internal {

inline constexpr std::string_view kMagic = "CFBL";
inline constexpr std::uint8_t kVersion = 1;
inline constexpr std::size_t kDataKeyLen = 32;
inline constexpr std::size_t kNonceLen = 12;
inline constexpr std::size_t kTagLen = 16;
inline constexpr std::size_t kIdLen = 32;
// Longest wrapped data key a header may name (RootKey's is 61 bytes).
inline constexpr std::size_t kMaxWrappedKeyLen = 1024;
// Far above S3's 5 TiB object limit, low enough that no layout sum overflows.
inline constexpr std::uint64_t kMaxBlobBytes = std::uint64_t{1} << 48;
// magic | version | segment_bytes | wrapped_len: enough to learn the header length.
inline constexpr std::size_t kHeaderPrefixLen = 4 + 1 + 4 + 2;
inline constexpr std::size_t kMaxHeaderLen = kHeaderPrefixLen + kMaxWrappedKeyLen + 8;

struct Header {
  std::uint32_t segment_bytes = 0;
  Bytes wrapped_key;
  std::uint64_t size = 0;  // plaintext bytes; written last, at Commit
};

Bytes EncodeHeader(const Header& header);
// Parses the header at the start of `file_start` (the first bytes of a blob
// file, up to kMaxHeaderLen). kInternal naming the blob when the magic,
// version, segment size or a length is wrong, or the bytes end early.
StatusOr<Header> ParseHeader(ByteView file_start, std::string_view id);
std::size_t HeaderLen(const Header& header);
// Where the u64 size sits in the header, for the writer to fill in at Commit.
std::size_t SizeFieldOffset(const Header& header);

// Where each segment of a blob lies in its file.
class Layout {
 public:
  Layout(std::uint64_t header_len, std::uint64_t segment_bytes, std::uint64_t size)
      : header_len_(header_len), segment_bytes_(segment_bytes), size_(size) {}
  // At least one: an empty blob is one empty final segment.
  std::uint64_t segment_count() const;
  std::uint64_t PlainLen(std::uint64_t index) const;
  std::uint64_t FileOffset(std::uint64_t index) const;
  std::uint64_t FileLen() const;
  bool IsFinal(std::uint64_t index) const { return index + 1 == segment_count(); }

 private:
  std::uint64_t header_len_;
  std::uint64_t segment_bytes_;
  std::uint64_t size_;
};

std::array<std::uint8_t, kNonceLen> SegmentNonce(std::uint64_t index);
// `size` is the blob's plaintext size; it is bound only into the final segment.
Bytes SegmentAad(std::string_view id, std::uint64_t index, bool final, std::uint64_t size);
std::string DataKeyAad(std::string_view id, std::uint32_t segment_bytes);

bool IsLowerHex(std::string_view text);
// 32 lower-case hex characters: the only names a blob may have.
bool IsBlobId(std::string_view id);

}  // namespace coffer::blobs::internal

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
// Version 1: root key only. Version 2 adds the layer byte. Version 3 wraps
// the data key under a BlobKeyring version (the S3 service key) instead of
// the root key and records that version. New blobs are v3 when the store has
// a keyring, v2 otherwise.
inline constexpr std::uint8_t kVersion1 = 1;
inline constexpr std::uint8_t kVersion2 = 2;
inline constexpr std::uint8_t kVersion3 = 3;
inline constexpr std::size_t kDataKeyLen = 32;
inline constexpr std::size_t kCallerKeyLen = 32;
inline constexpr std::size_t kNonceLen = 12;
inline constexpr std::size_t kTagLen = 16;
inline constexpr std::size_t kIdLen = 32;
// Longest wrapped data key a header may name (RootKey's is 61 bytes).
inline constexpr std::size_t kMaxWrappedKeyLen = 1024;
// Far above S3's 5 TiB object limit, low enough that no layout sum overflows.
inline constexpr std::uint64_t kMaxBlobBytes = std::uint64_t{1} << 48;
// The longest header: v3's magic | version | layer | segment_bytes |
// key_version | wrapped_len | wrapped key | size.
inline constexpr std::size_t kMaxHeaderLen = 4 + 1 + 1 + 4 + 4 + 2 + kMaxWrappedKeyLen + 8;

// Which keys seal a blob's segments (the v2 layer byte; v1 is always kRootOnly).
enum class Layer : std::uint8_t {
  kRootOnly = 0,   // the root-wrapped data key alone
  kObjectKey = 1,  // a key derived from the data key and the caller's object key
  kDouble = 2,     // an inner layer under the caller's inner key, then the data key
};

struct Header {
  std::uint8_t version = kVersion2;
  Layer layer = Layer::kRootOnly;
  std::uint32_t segment_bytes = 0;
  std::uint32_t key_version = 0;  // v3 only: the keyring version wrapping the data key
  Bytes wrapped_key;
  std::uint64_t size = 0;  // plaintext bytes; written last, at Commit
};

Bytes EncodeHeader(const Header& header);
// Parses the header at the start of `file_start` (the first bytes of a blob
// file, up to kMaxHeaderLen). kInternal naming the blob when the magic,
// version, layer, segment size or a length is wrong, or the bytes end early.
StatusOr<Header> ParseHeader(ByteView file_start, std::string_view id);
std::size_t HeaderLen(const Header& header);
// Where the u64 size sits in the header, for the writer to fill in at Commit.
std::size_t SizeFieldOffset(const Header& header);

// Where each segment of a blob lies in its file.
class Layout {
 public:
  // `overhead`: bytes each sealed segment adds to its plaintext (a tag per layer).
  Layout(std::uint64_t header_len, std::uint64_t segment_bytes, std::uint64_t size, std::uint64_t overhead)
      : header_len_(header_len), segment_bytes_(segment_bytes), size_(size), overhead_(overhead) {}
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
  std::uint64_t overhead_;
};

// Where a segment sits in its blob; everything its nonce and AAD bind.
struct SegmentPosition {
  std::uint64_t index = 0;
  bool final = false;
  std::uint64_t size = 0;  // the blob's plaintext size, bound only into the final segment
};

// The two sealing layers a segment may have, each with its own nonce prefix
// and AAD label so a layer's ciphertext cannot stand in for the other's.
enum class SegmentLayer : std::uint8_t { kOuter = 0, kInner = 1 };

// nonce = u32 layer | u64 index (the outer prefix is 0, as in v1).
std::array<std::uint8_t, kNonceLen> SegmentNonce(SegmentLayer layer, std::uint64_t index);
// label | u8 id_len | id | u64 index | u8 final | u64 size (final only).
Bytes SegmentAad(SegmentLayer layer, std::string_view id, const SegmentPosition& at);
// Binds the id and segment size, from v2 the version and the layer, and in v3
// the keyring version, so a header whose layer byte or key version was
// changed does not unwrap.
std::string DataKeyAad(std::string_view id, const Header& header);

bool IsLowerHex(std::string_view text);
// 32 lower-case hex characters: the only names a blob may have.
bool IsBlobId(std::string_view id);

}  // namespace coffer::blobs::internal

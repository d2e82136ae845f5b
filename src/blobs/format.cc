#include "blobs/format.h"

#include <algorithm>

#include "blobs/blob_store.h"
#include "common/cursor.h"

namespace coffer::blobs::internal {
namespace {

void PutU64(Bytes& out, std::uint64_t v) {
  for (int shift = 56; shift >= 0; shift -= 8) out.push_back(static_cast<std::uint8_t>(v >> shift));
}
void PutU32(Bytes& out, std::uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<std::uint8_t>(v >> shift));
}
void PutU16(Bytes& out, std::uint16_t v) {
  out.push_back(static_cast<std::uint8_t>(v >> 8));
  out.push_back(static_cast<std::uint8_t>(v));
}

Status BadHeader(std::string_view id, std::string_view what) {
  return InternalError("blob " + std::string(id) + " has a bad header: " + std::string(what));
}

}  // namespace

Bytes EncodeHeader(const Header& header) {
  Bytes out(kMagic.begin(), kMagic.end());
  out.push_back(header.version);
  if (header.version != kVersion1) out.push_back(static_cast<std::uint8_t>(header.layer));
  PutU32(out, header.segment_bytes);
  if (header.version == kVersion3) PutU32(out, header.key_version);
  PutU16(out, static_cast<std::uint16_t>(header.wrapped_key.size()));
  out.insert(out.end(), header.wrapped_key.begin(), header.wrapped_key.end());
  PutU64(out, header.size);
  return out;
}

StatusOr<Header> ParseHeader(ByteView file_start, std::string_view id) {
  Cursor cursor(file_start);
  ByteView magic;
  std::uint8_t version = 0;
  if (!cursor.ReadBytes(kMagic.size(), &magic) || AsChars(magic) != kMagic) {
    return BadHeader(id, "not a blob file (magic)");
  }
  if (!cursor.ReadU8(&version) || version < kVersion1 || version > kVersion3) {
    return BadHeader(id, "unsupported format version");
  }
  Header header;
  header.version = version;
  std::uint8_t layer = 0;
  if (version != kVersion1 && (!cursor.ReadU8(&layer) || layer > static_cast<std::uint8_t>(Layer::kDouble))) {
    return BadHeader(id, "unknown layer");
  }
  header.layer = static_cast<Layer>(layer);
  ByteView wrapped;
  if (!cursor.ReadU32(&header.segment_bytes) || header.segment_bytes == 0 ||
      header.segment_bytes > kMaxSegmentBytes) {
    return BadHeader(id, "segment size out of range");
  }
  if (version == kVersion3 && !cursor.ReadU32(&header.key_version))
    return BadHeader(id, "key version truncated");
  if (!cursor.ReadU16LengthPrefixed(&wrapped) || wrapped.size() > kMaxWrappedKeyLen) {
    return BadHeader(id, "wrapped data key truncated");
  }
  header.wrapped_key.assign(wrapped.begin(), wrapped.end());
  if (!cursor.ReadU64(&header.size) || header.size > kMaxBlobBytes) return BadHeader(id, "size out of range");
  return header;
}

std::size_t HeaderLen(const Header& header) {
  const std::size_t layer_len = header.version == kVersion1 ? 0 : 1;
  const std::size_t key_version_len = header.version == kVersion3 ? 4 : 0;
  return kMagic.size() + 1 + layer_len + 4 + key_version_len + 2 + header.wrapped_key.size() + 8;
}

std::size_t SizeFieldOffset(const Header& header) { return HeaderLen(header) - 8; }

std::uint64_t Layout::segment_count() const {
  return std::max<std::uint64_t>(1, (size_ + segment_bytes_ - 1) / segment_bytes_);
}

std::uint64_t Layout::PlainLen(std::uint64_t index) const {
  return std::min(segment_bytes_, size_ - std::min(size_, index * segment_bytes_));
}

std::uint64_t Layout::FileOffset(std::uint64_t index) const {
  return header_len_ + index * (segment_bytes_ + overhead_);
}

std::uint64_t Layout::FileLen() const { return header_len_ + size_ + segment_count() * overhead_; }

std::array<std::uint8_t, kNonceLen> SegmentNonce(SegmentLayer layer, std::uint64_t index) {
  std::array<std::uint8_t, kNonceLen> nonce{};
  nonce[3] = static_cast<std::uint8_t>(layer);
  for (std::size_t i = 0; i < 8; ++i) nonce[kNonceLen - 1 - i] = static_cast<std::uint8_t>(index >> (8 * i));
  return nonce;
}

Bytes SegmentAad(SegmentLayer layer, std::string_view id, const SegmentPosition& at) {
  const std::string_view label =
      layer == SegmentLayer::kOuter ? "coffer:blob-segment:v1" : "coffer:blob-inner-segment:v2";
  Bytes aad(label.begin(), label.end());
  aad.push_back(static_cast<std::uint8_t>(id.size()));
  aad.insert(aad.end(), id.begin(), id.end());
  PutU64(aad, at.index);
  aad.push_back(at.final ? 1 : 0);
  PutU64(aad, at.final ? at.size : 0);
  return aad;
}

std::string DataKeyAad(std::string_view id, const Header& header) {
  const std::string segment = std::to_string(header.segment_bytes);
  if (header.version == kVersion1) return "coffer:blob-data-key:v1:" + std::string(id) + ":" + segment;
  const std::string layer = std::to_string(static_cast<int>(header.layer));
  if (header.version == kVersion2)
    return "coffer:blob-data-key:v2:" + std::string(id) + ":" + segment + ":" + layer;
  return "coffer:blob-data-key:v3:" + std::string(id) + ":" + segment + ":" + layer + ":" +
         std::to_string(header.key_version);
}

bool IsLowerHex(std::string_view text) {
  return std::all_of(text.begin(), text.end(),
                     [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

bool IsBlobId(std::string_view id) { return id.size() == kIdLen && IsLowerHex(id); }

}  // namespace coffer::blobs::internal

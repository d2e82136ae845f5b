// A read cursor over bytes that checks every length before it reads
// (BoringSSL CBS style). Every Read* returns false, and consumes nothing, when
// the input is too short.
#pragma once

#include <cstdint>
#include <string_view>

#include "common/bytes.h"

namespace coffer {

class Cursor {
 public:
  explicit Cursor(ByteView data) : data_(data) {}

  std::size_t remaining() const { return data_.size(); }
  std::size_t consumed() const { return consumed_; }

  bool ReadU8(std::uint8_t* out) {
    if (data_.empty()) return Short();
    *out = data_[0];
    Skip(1);
    return true;
  }
  bool ReadU16(std::uint16_t* out) {
    if (data_.size() < 2) return Short();
    *out = static_cast<std::uint16_t>((data_[0] << 8) | data_[1]);
    Skip(2);
    return true;
  }
  bool ReadU32(std::uint32_t* out) {
    if (data_.size() < 4) return Short();
    *out = (std::uint32_t{data_[0]} << 24) | (std::uint32_t{data_[1]} << 16) |
           (std::uint32_t{data_[2]} << 8) | std::uint32_t{data_[3]};
    Skip(4);
    return true;
  }
  bool ReadU64(std::uint64_t* out) {
    if (data_.size() < 8) return Short();
    std::uint64_t v = 0;
    for (std::size_t i = 0; i < 8; ++i) v = (v << 8) | data_[i];
    *out = v;
    Skip(8);
    return true;
  }
  // A field with a two-byte big-endian length prefix.
  bool ReadU16LengthPrefixed(ByteView* out) {
    if (data_.size() < 2 || data_.size() - 2 < ((std::size_t{data_[0]} << 8) | data_[1])) return Short();
    std::uint16_t len = 0;
    ReadU16(&len);
    return ReadBytes(len, out);
  }
  bool ReadBytes(std::size_t len, ByteView* out) {
    if (data_.size() < len) return Short();
    *out = data_.subspan(0, len);
    Skip(len);
    return true;
  }
  // A field with a one-byte length prefix.
  bool ReadU8LengthPrefixed(ByteView* out) {
    std::uint8_t len = 0;
    if (data_.empty() || data_.size() < 1u + data_[0]) return Short();
    ReadU8(&len);
    return ReadBytes(len, out);
  }
  // Everything that is left.
  ByteView Rest() const { return data_; }
  // Whether a read failed because the input ended (a streaming parser waits
  // for more bytes then, instead of rejecting the input).
  bool truncated() const { return truncated_; }

 private:
  bool Short() {
    truncated_ = true;
    return false;
  }
  void Skip(std::size_t n) {
    data_ = data_.subspan(n);
    consumed_ += n;
  }
  ByteView data_;
  std::size_t consumed_ = 0;
  bool truncated_ = false;
};

}  // namespace coffer

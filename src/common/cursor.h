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
    if (data_.empty()) return false;
    *out = data_[0];
    Skip(1);
    return true;
  }
  bool ReadU16(std::uint16_t* out) {
    if (data_.size() < 2) return false;
    *out = static_cast<std::uint16_t>((data_[0] << 8) | data_[1]);
    Skip(2);
    return true;
  }
  bool ReadBytes(std::size_t len, ByteView* out) {
    if (data_.size() < len) return false;
    *out = data_.subspan(0, len);
    Skip(len);
    return true;
  }
  // A field with a one-byte length prefix.
  bool ReadU8LengthPrefixed(ByteView* out) {
    std::uint8_t len = 0;
    if (data_.empty() || data_.size() < 1u + data_[0]) return false;
    ReadU8(&len);
    return ReadBytes(len, out);
  }
  // Everything that is left.
  ByteView Rest() const { return data_; }

 private:
  void Skip(std::size_t n) {
    data_ = data_.subspan(n);
    consumed_ += n;
  }
  ByteView data_;
  std::size_t consumed_ = 0;
};

}  // namespace coffer

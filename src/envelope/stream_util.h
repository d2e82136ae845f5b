// Buffers the streaming Encryptor and Decryptor share.
#pragma once

#include <algorithm>
#include <cstring>

#include "coffer/envelope.h"

namespace coffer::envelope {

// A growable secret buffer: capacity doubles, every old buffer is wiped when
// it moves (SecretBytes::resize), Clear keeps the capacity.
class SecretBuffer {
 public:
  void Append(ByteView bytes) {
    if (bytes.empty()) return;
    if (bytes_.size() - len_ < bytes.size()) bytes_.resize(std::max(bytes_.size() * 2, len_ + bytes.size()));
    std::memcpy(bytes_.data() + len_, bytes.data(), bytes.size());
    len_ += bytes.size();
  }
  void Reserve(std::size_t capacity) {
    if (bytes_.size() < capacity) bytes_.resize(capacity);
  }
  // Makes room for exactly `len` bytes to be written in place over the old
  // content (not wiped first: it is overwritten, and the whole buffer is
  // wiped when released or destroyed; per-frame wiping cost a third of the
  // decrypt time).
  std::span<std::uint8_t> Overwrite(std::size_t len) {
    if (len_ > len) SecureWipe(bytes_.data() + len, len_ - len);
    len_ = 0;
    Reserve(len);
    len_ = len;
    return bytes_.mutable_view().first(len);
  }
  ByteView view() const { return bytes_.view().first(len_); }
  std::size_t size() const { return len_; }
  void Clear() {
    if (len_ != 0) SecureWipe(bytes_.data(), len_);
    len_ = 0;
  }
  void Release() {
    bytes_.Wipe();
    len_ = 0;
  }

 private:
  SecretBytes bytes_;
  std::size_t len_ = 0;
};

// A Sink that appends to a SecretBuffer (one-shot decrypt).
class SecretBufferSink final : public Sink {
 public:
  explicit SecretBufferSink(SecretBuffer& buffer) : buffer_(buffer) {}
  Status Write(ByteView bytes) override {
    buffer_.Append(bytes);
    return Status::Ok();
  }

 private:
  SecretBuffer& buffer_;
};

// A Sink that appends to a Bytes (one-shot encrypt: the output is ciphertext).
class BytesSink final : public Sink {
 public:
  explicit BytesSink(Bytes& out) : out_(out) {}
  Status Write(ByteView bytes) override {
    out_.insert(out_.end(), bytes.begin(), bytes.end());
    return Status::Ok();
  }

 private:
  Bytes& out_;
};

}  // namespace coffer::envelope

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
    if (bytes_.size() < capacity) bytes_.resize(std::max(capacity, bytes_.size() * 2));
  }
  // Grows by `len` bytes and returns them, to be written in place.
  std::span<std::uint8_t> Extend(std::size_t len) {
    Reserve(len_ + len);
    const std::size_t at = len_;
    len_ += len;
    return bytes_.mutable_view().subspan(at, len);
  }
  // Drops everything past `len`, wiping it.
  void Truncate(std::size_t len) {
    if (len < len_) SecureWipe(bytes_.data() + len, len_ - len);
    len_ = std::min(len, len_);
  }
  // Empties the buffer for reuse without wiping: for plaintext that was just
  // handed out, which later writes overwrite; the whole buffer is wiped on
  // Release and on destruction (per-frame wiping cost a third of decryption).
  void Reuse() { len_ = 0; }
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

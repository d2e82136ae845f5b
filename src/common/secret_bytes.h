// SecretBytes holds key material or plaintext. It wipes itself on destruction
// and on every reassignment, is move-only, and has no stream operator so it
// cannot be printed by accident.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "common/bytes.h"

namespace coffer {

// Overwrites memory in a way the optimiser may not drop.
void SecureWipe(void* data, std::size_t len);

class SecretBytes {
 public:
  SecretBytes() = default;
  explicit SecretBytes(std::size_t len) : data_(len) {}
  explicit SecretBytes(ByteView bytes) : data_(bytes.begin(), bytes.end()) {}
  ~SecretBytes() { Wipe(); }

  SecretBytes(SecretBytes&& other) noexcept : data_(std::move(other.data_)) { other.data_.clear(); }
  SecretBytes& operator=(SecretBytes&& other) noexcept {
    if (this != &other) {
      Wipe();
      data_ = std::move(other.data_);
      other.data_.clear();
    }
    return *this;
  }
  SecretBytes(const SecretBytes&) = delete;
  SecretBytes& operator=(const SecretBytes&) = delete;

  // Explicit copy, so every duplicate of a secret is visible in the code.
  SecretBytes Clone() const { return SecretBytes(view()); }

  std::uint8_t* data() { return data_.data(); }
  const std::uint8_t* data() const { return data_.data(); }
  std::size_t size() const { return data_.size(); }
  bool empty() const { return data_.empty(); }
  ByteView view() const { return {data_.data(), data_.size()}; }
  std::span<std::uint8_t> mutable_view() { return {data_.data(), data_.size()}; }

  void resize(std::size_t len);  // wipes the old buffer when it moves
  void Wipe() {
    if (!data_.empty()) SecureWipe(data_.data(), data_.size());
    data_.clear();
  }

 private:
  std::vector<std::uint8_t> data_;
};

// Constant-time equality of two byte strings (length is not secret).
bool ConstantTimeEquals(ByteView a, ByteView b);

}  // namespace coffer

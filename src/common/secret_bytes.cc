#include "common/secret_bytes.h"

namespace coffer {

void SecureWipe(void* data, std::size_t len) {
  volatile auto* p = static_cast<volatile std::uint8_t*>(data);
  for (std::size_t i = 0; i < len; ++i) p[i] = 0;
}

void SecretBytes::resize(std::size_t len) {
  if (len <= data_.capacity()) {
    if (len < data_.size()) SecureWipe(data_.data() + len, data_.size() - len);
    data_.resize(len);
    return;
  }
  std::vector<std::uint8_t> bigger(len);
  for (std::size_t i = 0; i < data_.size(); ++i) bigger[i] = data_[i];
  Wipe();
  data_ = std::move(bigger);
}

bool ConstantTimeEquals(ByteView a, ByteView b) {
  if (a.size() != b.size()) return false;
  volatile std::uint8_t diff = 0;
  for (std::size_t i = 0; i < a.size(); ++i) diff = diff | (a[i] ^ b[i]);
  return diff == 0;
}

}  // namespace coffer

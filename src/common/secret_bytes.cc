#include "common/secret_bytes.h"

#include <string.h>  // explicit_bzero

namespace coffer {

// glibc's explicit_bzero: a memset the compiler may not remove as a dead
// store, at memset speed (a volatile byte loop costs a store per byte).
void SecureWipe(void* data, std::size_t len) {
  if (len > 0) explicit_bzero(data, len);
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

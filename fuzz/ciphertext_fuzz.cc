// Feeds arbitrary bytes to the KMS ciphertext-blob parser and opener: they
// must reject, never crash or read out of bounds.
#include <cstddef>
#include <cstdint>

#include "kms/ciphertext.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const coffer::ByteView blob(data, size);
  static const coffer::SecretBytes kKey(coffer::Bytes(32, 0x42));
  auto header = coffer::kms::ParseCiphertextHeader(blob);
  if (header.ok()) {
    (void)coffer::kms::OpenCiphertext(blob, kKey, {{"purpose", "fuzz"}});
  }
  return 0;
}

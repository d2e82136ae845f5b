// Feeds arbitrary bytes to the ESDK message parser and decryptor: the header
// parser, the body framing (past the header tag, which a fuzzer cannot
// forge) and the full Decrypt must reject, never crash or read out of bounds.
#include <cstddef>
#include <cstdint>

#include "coffer/envelope.h"
#include "envelope/body.h"

namespace {

class FixedKeyring final : public coffer::envelope::Keyring {
 public:
  coffer::Status OnEncrypt(coffer::envelope::EncryptionMaterials&) override {
    return coffer::InternalError("decrypt only");
  }
  coffer::Status OnDecrypt(coffer::envelope::DecryptionMaterials& materials,
                           const std::vector<coffer::envelope::EncryptedDataKey>&) override {
    materials.plaintext_data_key = coffer::SecretBytes(coffer::Bytes(32, 0x42));
    return coffer::Status::Ok();
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const coffer::ByteView message(data, size);
  coffer::Cursor cursor(message);
  auto header = coffer::envelope::ParseHeader(cursor, 16);
  if (header.ok()) {
    coffer::SecretBytes plaintext;
    const coffer::Bytes key(header->suite->key_len, 0x42);
    (void)coffer::envelope::DecryptBody(*header, key, cursor, plaintext);
  }
  FixedKeyring keyring;
  coffer::envelope::DecryptOptions options;
  options.commitment_policy = coffer::envelope::CommitmentPolicy::kRequireEncryptAllowDecrypt;
  (void)coffer::envelope::Decrypt(message, keyring, options);
  return 0;
}

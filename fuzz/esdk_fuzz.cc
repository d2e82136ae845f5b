// Feeds arbitrary bytes to the ESDK message parser and decryptor: the header
// parser, the body framing (past the header tag, which a fuzzer cannot
// forge), the full Decrypt and the streaming Decryptor over any chunking
// must reject, never crash or read out of bounds.
#include <algorithm>
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

class DiscardSink final : public coffer::envelope::Sink {
 public:
  coffer::Status Write(coffer::ByteView) override { return coffer::Status::Ok(); }
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
  // The streaming Decryptor fed in chunks whose size the first byte picks,
  // releasing unverified plaintext so every frame path runs.
  if (size > 0) {
    auto cmm = coffer::envelope::NewDefaultCmm(keyring);
    auto decryptor =
        coffer::envelope::Decryptor::Create(*cmm, options, {coffer::envelope::UnverifiedPlaintext::kRelease});
    DiscardSink sink;
    const std::size_t chunk = std::size_t{data[0]} + 1;
    coffer::Status status = coffer::Status::Ok();
    for (std::size_t at = 1; status.ok() && at < size; at += chunk) {
      status = (*decryptor)->Update(message.subspan(at, std::min(chunk, size - at)), sink);
    }
    if (status.ok()) (void)(*decryptor)->Finish(sink);
  }
  return 0;
}

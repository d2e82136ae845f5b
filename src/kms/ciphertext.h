// The symmetric ciphertext blob Coffer returns from Encrypt and
// GenerateDataKey. Layout (all lengths checked on parse):
//
//   u8  format (0x01)
//   u8  account length, account id (ASCII)
//   u8  key id length, key id (ASCII)
//   32  backing-key version id (KeyMaterialId, binary)
//   32  HKDF salt
//   12  AES-GCM IV
//   ..  ciphertext
//   16  AES-GCM tag
//
// The per-message key is HKDF-SHA256(backing key, salt, info = kHkdfInfo); the
// AAD is the header (every byte before the ciphertext) followed by the
// canonical encryption context, so tampering with either fails the tag.
#pragma once

#include <map>
#include <string>

#include "common/bytes.h"
#include "common/random.h"
#include "common/secret_bytes.h"
#include "common/status_or.h"

namespace coffer::kms {

using EncryptionContext = std::map<std::string, std::string>;

inline constexpr std::uint8_t kCiphertextFormat = 1;
inline constexpr std::size_t kVersionIdLen = 32;
inline constexpr std::size_t kSaltLen = 32;

struct CiphertextHeader {
  std::string account;
  std::string key_id;
  Bytes version_id;  // kVersionIdLen bytes
};

// Canonical, unambiguous encoding of an encryption context: u16 count, then
// for each pair sorted by key: u16 length + key, u16 length + value.
Bytes CanonicalEncryptionContext(const EncryptionContext& context);

StatusOr<Bytes> SealCiphertext(const CiphertextHeader& header, const SecretBytes& backing_key,
                               const EncryptionContext& context, ByteView plaintext, RandomSource& random);

// Parses only the header, to find the key. kInvalidCiphertext when malformed.
StatusOr<CiphertextHeader> ParseCiphertextHeader(ByteView blob);

// kInvalidCiphertext when malformed, tampered, or the context differs.
StatusOr<SecretBytes> OpenCiphertext(ByteView blob, const SecretBytes& backing_key,
                                     const EncryptionContext& context);

// For blobs of the same layout sealed elsewhere (a custom key store's token
// does the AES-GCM itself): the header bytes, the parts of a blob, and the
// AAD of a blob (header bytes | salt | IV | canonical context).
Bytes EncodeCiphertextHeader(const CiphertextHeader& header);
struct CiphertextParts {
  CiphertextHeader header;
  ByteView header_bytes;
  ByteView salt;
  ByteView iv;
  ByteView ciphertext;
  ByteView tag;
};
// kInvalidCiphertext when malformed. The views point into `blob`.
StatusOr<CiphertextParts> SplitCiphertext(ByteView blob);
Bytes CiphertextAad(ByteView header_bytes, ByteView salt, ByteView iv, const EncryptionContext& context);

}  // namespace coffer::kms

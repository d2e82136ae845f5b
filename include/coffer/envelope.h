// Envelope encryption in the AWS Encryption SDK (ESDK) message format.
//
// Messages written here decrypt with the official SDKs and the reverse: the
// header, body and footer are byte-for-byte the ESDK message format v1/v2
// (data-format/*.md in the ESDK specification). A keyring wraps the data key
// that encrypts the body; raw AES, raw RSA and multi-keyrings ship here, and
// a KMS keyring implements the same Keyring interface.
//
// Guarantees: Decrypt returns plaintext only after the header is
// authenticated, every frame tag verifies, and (for signed suites) the
// footer signature verifies; on any failure no plaintext is returned.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/bytes.h"
#include "common/secret_bytes.h"
#include "common/status_or.h"

namespace coffer::envelope {

// The ESDK algorithm suites, by their two-byte wire id.
enum class SuiteId : std::uint16_t {
  kAes128GcmIv12Tag16NoKdf = 0x0014,
  kAes192GcmIv12Tag16NoKdf = 0x0046,
  kAes256GcmIv12Tag16NoKdf = 0x0078,
  kAes128GcmIv12Tag16HkdfSha256 = 0x0114,
  kAes192GcmIv12Tag16HkdfSha256 = 0x0146,
  kAes256GcmIv12Tag16HkdfSha256 = 0x0178,
  kAes128GcmIv12Tag16HkdfSha256EcdsaP256 = 0x0214,
  kAes192GcmIv12Tag16HkdfSha384EcdsaP384 = 0x0346,
  kAes256GcmIv12Tag16HkdfSha384EcdsaP384 = 0x0378,
  kAes256GcmHkdfSha512CommitKey = 0x0478,
  kAes256GcmHkdfSha512CommitKeyEcdsaP384 = 0x0578,
};

// Every suite, in wire-id order.
const std::vector<SuiteId>& AllSuites();

enum class CommitmentPolicy : std::uint8_t {
  kRequireEncryptRequireDecrypt,  // default: only committing suites, both ways
  kRequireEncryptAllowDecrypt,    // encrypt committing, decrypt anything
  kForbidEncryptAllowDecrypt,     // encrypt non-committing (v1), decrypt anything
};

// Keys and values are UTF-8. Keys starting with "aws-crypto-" are reserved
// (the signed suites store their public key under "aws-crypto-public-key").
using EncryptionContext = std::map<std::string, std::string>;

inline constexpr std::string_view kPublicKeyContextKey = "aws-crypto-public-key";

struct EncryptedDataKey {
  std::string provider_id;
  Bytes provider_info;
  Bytes ciphertext;
};

// What a keyring sees on encrypt. The first keyring (the generator) sets
// plaintext_data_key when it is empty; every keyring appends one EDK.
struct EncryptionMaterials {
  SuiteId suite{};
  EncryptionContext context;  // includes the signing public key, if any
  SecretBytes plaintext_data_key;
  std::vector<EncryptedDataKey> encrypted_data_keys;
};

// What a keyring sees on decrypt: it sets plaintext_data_key from the first
// EDK it can unwrap, and must not replace a key that is already set.
struct DecryptionMaterials {
  SuiteId suite{};
  EncryptionContext context;  // the message's context plus reproduced pairs
  SecretBytes plaintext_data_key;
};

class Keyring {
 public:
  virtual ~Keyring() = default;
  virtual Status OnEncrypt(EncryptionMaterials& materials) = 0;
  virtual Status OnDecrypt(DecryptionMaterials& materials, const std::vector<EncryptedDataKey>& edks) = 0;
};

// Raw AES keyring: wraps with AES-GCM under a 16/24/32-byte key; the EDK
// names it by key namespace (provider id) and key name.
StatusOr<std::unique_ptr<Keyring>> NewRawAesKeyring(std::string key_namespace, std::string key_name,
                                                    SecretBytes wrapping_key);

enum class RsaPaddingScheme : std::uint8_t { kPkcs1, kOaepSha1, kOaepSha256, kOaepSha384, kOaepSha512 };

// Raw RSA keyring from a PEM key. A private key wraps and unwraps; a public
// key ("PUBLIC KEY") only wraps, and OnDecrypt fails.
StatusOr<std::unique_ptr<Keyring>> NewRawRsaKeyring(std::string key_namespace, std::string key_name,
                                                    std::string_view pem, RsaPaddingScheme padding);

// The generator (may be null on decrypt-only keyrings) makes and wraps the
// data key; every child wraps it too. On decrypt the first keyring that
// unwraps an EDK wins.
StatusOr<std::unique_ptr<Keyring>> NewMultiKeyring(std::shared_ptr<Keyring> generator,
                                                   std::vector<std::shared_ptr<Keyring>> children);

struct EncryptOptions {
  // Unset: 0x0578 under the committing policies, 0x0378 under FORBID.
  std::optional<SuiteId> suite;
  // Plaintext bytes per frame; 0 writes the non-framed body (legacy).
  std::uint32_t frame_length = 4096;
  CommitmentPolicy commitment_policy = CommitmentPolicy::kRequireEncryptRequireDecrypt;
  std::size_t max_encrypted_data_keys = 0;  // 0: no limit
};

StatusOr<Bytes> Encrypt(ByteView plaintext, Keyring& keyring, const EncryptionContext& context,
                        const EncryptOptions& options = {});

struct DecryptOptions {
  CommitmentPolicy commitment_policy = CommitmentPolicy::kRequireEncryptRequireDecrypt;
  std::size_t max_encrypted_data_keys = 0;  // 0: no limit
  // Pairs the caller expects. A pair whose key is in the message must match
  // its value; a pair missing from the message was authenticated but not
  // stored (Required Encryption Context CMM) and joins the header AAD.
  EncryptionContext reproduced_context;
  // Keys that must be present in reproduced_context (the Required Encryption
  // Context CMM); decryption fails before any key is unwrapped otherwise.
  std::vector<std::string> required_context_keys;
};

struct DecryptResult {
  SecretBytes plaintext;
  EncryptionContext context;  // as stored in the message, plus reproduced pairs
  SuiteId suite{};
};

StatusOr<DecryptResult> Decrypt(ByteView message, Keyring& keyring, const DecryptOptions& options = {});

// Streaming (design; the one-shot calls above are built from the same
// pieces): a Decryptor is fed message bytes in any chunking and hands back
// plaintext frame by frame, holding at most one frame. For signed suites it
// withholds all plaintext until Finish() has verified the footer unless the
// caller opts into release of unverified plaintext, as the SDK's streaming
// rule requires:
//
//   class Decryptor {
//    public:
//     static StatusOr<std::unique_ptr<Decryptor>> Create(Keyring&, DecryptOptions,
//                                                        bool release_unsigned_plaintext);
//     Status Update(ByteView in, PlaintextSink& out);   // buffers a partial field
//     Status Finish(PlaintextSink& out);                // footer, trailing bytes
//   };
//   class Encryptor { Update(ByteView plaintext, Sink&); Finish(Sink&); };

}  // namespace coffer::envelope

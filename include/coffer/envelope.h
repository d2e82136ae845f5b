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

namespace coffer::crypto {
class EcdsaSigner;  // opaque here: no OpenSSL type crosses this header
}

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
  // Signed suites: the private key whose public half is in the context.
  std::shared_ptr<const crypto::EcdsaSigner> signing_key;
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
  // The plaintext length, when known up front; the Encryptor fails when the
  // stream turns out longer or shorter. The caching CMM caches only when set.
  std::optional<std::uint64_t> plaintext_length;
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

class CryptoMaterialsManager;
// The same through a CMM (e.g. the caching CMM).
StatusOr<Bytes> Encrypt(ByteView plaintext, CryptoMaterialsManager& cmm, const EncryptionContext& context,
                        const EncryptOptions& options = {});
StatusOr<DecryptResult> Decrypt(ByteView message, CryptoMaterialsManager& cmm,
                                const DecryptOptions& options = {});

// Where streamed output goes: message bytes from an Encryptor, plaintext from
// a Decryptor. An error from Write stops the stream and is returned.
class Sink {
 public:
  virtual ~Sink() = default;
  virtual Status Write(ByteView bytes) = 0;
};

// The cryptographic materials manager (framework/cmm-interface.md) between
// the Encryptor/Decryptor and the keyrings: the default CMM adds the signing
// key and calls one keyring; the caching CMM (caching_cmm.h) reuses data keys.
struct EncryptionMaterialsRequest {
  SuiteId suite{};
  EncryptionContext context;
  // Plaintext bytes, when the caller knows them (the caching CMM needs it).
  std::optional<std::uint64_t> plaintext_length;
};

struct DecryptMaterialsRequest {
  SuiteId suite{};
  EncryptionContext context;  // the message's context plus reproduced pairs
  std::vector<EncryptedDataKey> encrypted_data_keys;
};

class CryptoMaterialsManager {
 public:
  virtual ~CryptoMaterialsManager() = default;
  // Materials whose context includes the signing public key for signed suites
  // and whose signing_key is set exactly then.
  virtual StatusOr<EncryptionMaterials> GetEncryptionMaterials(const EncryptionMaterialsRequest& request) = 0;
  virtual StatusOr<DecryptionMaterials> DecryptMaterials(const DecryptMaterialsRequest& request) = 0;
};

// The default CMM over one keyring, which must outlive it.
std::unique_ptr<CryptoMaterialsManager> NewDefaultCmm(Keyring& keyring);
std::unique_ptr<CryptoMaterialsManager> NewDefaultCmm(std::shared_ptr<Keyring> keyring);

// Streaming encryption: plaintext goes in through Update in any chunking; the
// message comes out through the Sink, one frame at a time, so at most one
// frame of plaintext is held. A non-framed body (frame_length 0) cannot be
// streamed (its length precedes it): it is held until Finish.
class Encryptor {
 public:
  // Calls the CMM (for a KMS keyring, GenerateDataKey) before returning.
  static StatusOr<std::unique_ptr<Encryptor>> Create(CryptoMaterialsManager& cmm,
                                                     const EncryptionContext& context,
                                                     const EncryptOptions& options = {});
  virtual ~Encryptor() = default;
  virtual Status Update(ByteView plaintext, Sink& out) = 0;
  // Writes the final frame and, for signed suites, the footer.
  virtual Status Finish(Sink& out) = 0;
  virtual SuiteId suite() const = 0;
};

// What a Decryptor does with the plaintext of a signed message before the
// footer signature is verified (the SDK's streaming rule).
enum class UnverifiedPlaintext : std::uint8_t {
  kWithhold,      // default: hold it (memory grows with the message) until Finish verifies
  kRelease,       // hand frames out as their tags verify; Finish reports a bad signature
  kRejectSigned,  // fail on any signed suite (the SDK's "unsigned only" stream)
};

struct StreamOptions {
  UnverifiedPlaintext unverified_plaintext = UnverifiedPlaintext::kWithhold;
};

// Streaming decryption: message bytes in any chunking; plaintext leaves a
// frame at a time after that frame's tag verified (and, for signed suites
// under kWithhold, only in Finish after the signature verified). At most one
// frame of ciphertext is buffered; a non-framed body is buffered whole.
// After any error the Decryptor is dead and every later call fails.
class Decryptor {
 public:
  static StatusOr<std::unique_ptr<Decryptor>> Create(CryptoMaterialsManager& cmm,
                                                     const DecryptOptions& options = {},
                                                     const StreamOptions& stream = {});
  virtual ~Decryptor() = default;
  virtual Status Update(ByteView message, Sink& out) = 0;
  // Fails on a truncated message, a bad footer or bytes after the message.
  virtual Status Finish(Sink& out) = 0;
  // Set once the header is authenticated.
  virtual std::optional<SuiteId> suite() const = 0;
  // The message's context plus reproduced pairs, once the header is authenticated.
  virtual const EncryptionContext& context() const = 0;
};

}  // namespace coffer::envelope

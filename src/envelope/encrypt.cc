// One-shot encryption (client-apis/encrypt.md): materials from the keyring,
// header with its tag, body, and for signed suites the footer signature.
#include "common/encoding.h"
#include "crypto/crypto.h"
#include "envelope/body.h"
#include "envelope/wire.h"

namespace coffer::envelope {
namespace {

constexpr std::string_view kReservedPrefix = "aws-crypto-";

StatusOr<const SuiteInfo*> ChooseSuite(const EncryptOptions& options) {
  if (!options.suite) {
    return &GetSuite(options.commitment_policy == CommitmentPolicy::kForbidEncryptAllowDecrypt
                         ? SuiteId::kAes256GcmIv12Tag16HkdfSha384EcdsaP384
                         : SuiteId::kAes256GcmHkdfSha512CommitKeyEcdsaP384);
  }
  const SuiteInfo* suite = FindSuite(static_cast<std::uint16_t>(*options.suite));
  if (suite == nullptr) return ValidationError("unknown algorithm suite");
  if (!EncryptAllowed(options.commitment_policy, *suite)) {
    return ValidationError("algorithm suite not allowed by the commitment policy");
  }
  return suite;
}

// Materials from the keyring, checked: data key length and EDK count.
StatusOr<EncryptionMaterials> GetMaterials(const SuiteInfo& suite, Keyring& keyring,
                                           EncryptionMaterials materials, const EncryptOptions& options) {
  RETURN_IF_ERROR(keyring.OnEncrypt(materials));
  if (materials.plaintext_data_key.size() != suite.key_len) {
    return InternalError("keyring produced a data key of the wrong length");
  }
  if (materials.encrypted_data_keys.empty()) return InternalError("keyring produced no encrypted data key");
  if (options.max_encrypted_data_keys != 0 &&
      materials.encrypted_data_keys.size() > options.max_encrypted_data_keys) {
    return Status(ErrorCode::kLimitExceeded, "more encrypted data keys than allowed");
  }
  return materials;
}

StatusOr<MessageHeader> BuildHeader(const SuiteInfo& suite, EncryptionMaterials& materials,
                                    const EncryptOptions& options, SecretBytes& out_key) {
  MessageHeader header;
  header.suite = &suite;
  header.message_id.resize(MessageIdLen(suite));
  crypto::OsRandom random;
  RETURN_IF_ERROR(random.Fill(header.message_id));
  header.context = materials.context;
  header.encrypted_data_keys = std::move(materials.encrypted_data_keys);
  header.content_type = options.frame_length == 0 ? ContentType::kNonFramed : ContentType::kFramed;
  header.frame_length = options.frame_length;
  const ByteView data_key = materials.plaintext_data_key.view();
  ASSIGN_OR_RETURN(out_key, DeriveContentKey(suite, data_key, header.message_id));
  if (suite.committing) {
    ASSIGN_OR_RETURN(SecretBytes commit_key, DeriveCommitKey(data_key, header.message_id));
    header.commitment.assign(commit_key.view().begin(), commit_key.view().end());
  }
  ASSIGN_OR_RETURN(header.body, SerializeHeaderBody(header));
  header.auth_iv.assign(kIvLen, 0);
  ASSIGN_OR_RETURN(header.auth_tag, ComputeHeaderTag(header, out_key.view(), {}));
  return header;
}

Status AppendSignature(const crypto::EcdsaSigner& signer, crypto::EcCurve curve, Bytes& message) {
  crypto::Hasher hasher(SignatureHash(curve));
  hasher.Update(message);
  ASSIGN_OR_RETURN(Bytes signature, signer.SignDigest(hasher.Final()));
  return AppendU16Prefixed(message, signature, "signature");
}

}  // namespace

StatusOr<Bytes> Encrypt(ByteView plaintext, Keyring& keyring, const EncryptionContext& context,
                        const EncryptOptions& options) {
  ASSIGN_OR_RETURN(const SuiteInfo* suite, ChooseSuite(options));
  for (const auto& entry : context) {
    if (entry.first.starts_with(kReservedPrefix)) {
      return ValidationError("encryption context keys starting with aws-crypto- are reserved");
    }
  }
  EncryptionMaterials materials{suite->id, context, {}, {}};
  std::unique_ptr<crypto::EcdsaSigner> signer;
  if (suite->signature_curve) {
    ASSIGN_OR_RETURN(signer, crypto::EcdsaSigner::Generate(*suite->signature_curve));
    materials.context.emplace(kPublicKeyContextKey, Base64Encode(signer->CompressedPublicKey()));
  }
  ASSIGN_OR_RETURN(materials, GetMaterials(*suite, keyring, std::move(materials), options));
  SecretBytes key;
  ASSIGN_OR_RETURN(MessageHeader header, BuildHeader(*suite, materials, options, key));
  Bytes message = header.body;
  AppendBytes(message, SerializeHeaderAuth(header));
  RETURN_IF_ERROR(EncryptBody(header, key.view(), plaintext, message));
  if (signer != nullptr) RETURN_IF_ERROR(AppendSignature(*signer, *suite->signature_curve, message));
  return message;
}

}  // namespace coffer::envelope

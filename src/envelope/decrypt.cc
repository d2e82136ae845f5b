// One-shot decryption (client-apis/decrypt.md): parse and authenticate the
// header, decrypt every frame, verify the footer signature; plaintext leaves
// only when all of that succeeded.
#include "common/encoding.h"
#include "crypto/primitives.h"
#include "envelope/body.h"
#include "envelope/wire.h"

namespace coffer::envelope {
namespace {

// The default CMM's handling of the reproduced context (plus the Required
// Encryption Context CMM's check): returns the serialized pairs that were
// authenticated but not stored.
StatusOr<Bytes> MergeReproducedContext(const DecryptOptions& options, EncryptionContext& context) {
  for (const std::string& key : options.required_context_keys) {
    if (!options.reproduced_context.contains(key)) {
      return ValidationError("required encryption context key missing from the reproduced context");
    }
  }
  EncryptionContext auth_only;
  for (const auto& [key, value] : options.reproduced_context) {
    auto it = context.find(key);
    if (it == context.end()) {
      auth_only.emplace(key, value);
    } else if (it->second != value) {
      return Status(ErrorCode::kInvalidCiphertext,
                    "encryption context does not match the reproduced context");
    }
  }
  context.insert(auth_only.begin(), auth_only.end());
  return SerializeContext(auth_only);
}

Status CheckSigningKeyPresence(const SuiteInfo& suite, const EncryptionContext& context) {
  const bool has_key = context.contains(std::string(kPublicKeyContextKey));
  if (suite.signature_curve.has_value() && !has_key) return Malformed("signed suite without a public key");
  if (!suite.signature_curve.has_value() && has_key) return Malformed("unsigned suite with a public key");
  return Status::Ok();
}

// Unwraps the data key and derives the content key, checking the commitment.
StatusOr<SecretBytes> ContentKey(const MessageHeader& header, Keyring& keyring,
                                 DecryptionMaterials& materials) {
  RETURN_IF_ERROR(keyring.OnDecrypt(materials, header.encrypted_data_keys));
  const SuiteInfo& suite = *header.suite;
  const ByteView data_key = materials.plaintext_data_key.view();
  if (data_key.size() != suite.key_len)
    return InternalError("keyring returned a data key of the wrong length");
  if (suite.committing) {
    ASSIGN_OR_RETURN(SecretBytes commit_key, DeriveCommitKey(data_key, header.message_id));
    if (!ConstantTimeEquals(commit_key.view(), header.commitment)) {
      return Status(ErrorCode::kInvalidCiphertext, "key commitment does not match");
    }
  }
  return DeriveContentKey(suite, data_key, header.message_id);
}

StatusOr<std::unique_ptr<crypto::EcdsaVerifier>> Verifier(const SuiteInfo& suite,
                                                          const EncryptionContext& context) {
  auto encoded = Base64Decode(context.at(std::string(kPublicKeyContextKey)));
  if (!encoded) return Malformed("public key is not base64");
  auto verifier = crypto::EcdsaVerifier::FromPoint(*suite.signature_curve, *encoded);
  if (!verifier.ok()) return Malformed("public key is not a valid point");
  return verifier;
}

// Reads the footer and verifies it over message[0, signed_len).
Status VerifyFooter(const SuiteInfo& suite, const EncryptionContext& context, ByteView message,
                    std::size_t signed_len, Cursor& cursor) {
  ASSIGN_OR_RETURN(auto verifier, Verifier(suite, context));
  ByteView signature;
  if (!cursor.ReadU16LengthPrefixed(&signature)) return Malformed("footer signature");
  crypto::Hasher hasher(SignatureHash(*suite.signature_curve));
  hasher.Update(message.first(signed_len));
  if (!verifier->VerifyDigest(hasher.Final(), signature).ok()) {
    return Status(ErrorCode::kInvalidCiphertext, "message signature does not verify");
  }
  return Status::Ok();
}

}  // namespace

StatusOr<DecryptResult> Decrypt(ByteView message, Keyring& keyring, const DecryptOptions& options) {
  Cursor cursor(message);
  ASSIGN_OR_RETURN(MessageHeader header, ParseHeader(cursor, options.max_encrypted_data_keys));
  const SuiteInfo& suite = *header.suite;
  if (!DecryptAllowed(options.commitment_policy, suite)) {
    return ValidationError("non-committing algorithm suite not allowed by the commitment policy");
  }
  RETURN_IF_ERROR(CheckSigningKeyPresence(suite, header.context));
  DecryptionMaterials materials{suite.id, header.context, {}};
  ASSIGN_OR_RETURN(Bytes auth_only, MergeReproducedContext(options, materials.context));
  ASSIGN_OR_RETURN(SecretBytes key, ContentKey(header, keyring, materials));
  RETURN_IF_ERROR(VerifyHeaderTag(header, key.view(), auth_only));
  DecryptResult result{{}, std::move(materials.context), suite.id};
  RETURN_IF_ERROR(DecryptBody(header, key.view(), cursor, result.plaintext));
  Status status = Status::Ok();
  if (suite.signature_curve) status = VerifyFooter(suite, header.context, message, cursor.consumed(), cursor);
  if (status.ok() && cursor.remaining() != 0) status = Malformed("bytes after the end of the message");
  if (!status.ok()) {
    result.plaintext.Wipe();
    return status;
  }
  return result;
}

}  // namespace coffer::envelope

#include "envelope/decrypt_checks.h"

#include "common/encoding.h"
#include "envelope/body.h"
#include "envelope/wire.h"

namespace coffer::envelope {

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

StatusOr<SecretBytes> ContentKey(const MessageHeader& header, const DecryptionMaterials& materials) {
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

}  // namespace coffer::envelope

// Asymmetric signing keys: Sign, Verify, GetPublicKey.
#include <algorithm>

#include "common/encoding.h"
#include "common/json_writer.h"
#include "kms/ops/asym_util.h"
#include "kms/ops/ops.h"

namespace coffer::kms::ops {
namespace {

struct SignInput {
  std::shared_ptr<const LoadedKey> key;
  crypto::SignatureAlg alg;
  std::string alg_name;
  Bytes digest;
};

// The digest a Sign or Verify request signs: the hash of a RAW message, or a
// DIGEST message whose length must be the algorithm's digest length.
StatusOr<Bytes> DigestToSign(JsonView req, const crypto::SignatureAlg& alg, const std::string& alg_name) {
  ASSIGN_OR_RETURN(Bytes message, ReadBlob(req, "Message"));
  const std::string type = StringOr(req, "MessageType", "RAW");
  if (type == "RAW") return crypto::Digest(alg.hash, message);
  if (type == "DIGEST") {
    if (message.size() != crypto::HashLen(alg.hash)) {
      return ValidationError("Digest is invalid length for algorithm " + alg_name + ".");
    }
    return message;
  }
  return ValidationError("MessageType " + type + " is not valid for signing algorithm " + alg_name);
}

StatusOr<SignInput> ReadSignInput(KmsService& kms, const RequestContext& ctx, JsonView req,
                                  std::string_view op) {
  ASSIGN_OR_RETURN(auto key, ResolveForUse(kms, ctx, req.string_member("KeyId"), "SIGN_VERIFY", op));
  const std::string alg_name(req.string_member("SigningAlgorithm"));
  const auto& allowed = SpecInfo(key->record.key_spec).signing_algorithms;
  auto alg = ParseSigningAlgorithm(alg_name);
  if (!alg || std::find(allowed.begin(), allowed.end(), alg_name) == allowed.end()) {
    return Status(ErrorCode::kInvalidKeyUsage, "Signing algorithm " + alg_name +
                                                   " is not compatible with the KMS key " +
                                                   key->record.Arn() + " (" + key->record.key_spec + ")");
  }
  ASSIGN_OR_RETURN(Bytes digest, DigestToSign(req, *alg, alg_name));
  return SignInput{std::move(key), *alg, alg_name, std::move(digest)};
}

}  // namespace

StatusOr<std::string> Sign(KmsService& kms, const RequestContext& ctx, JsonView req) {
  ASSIGN_OR_RETURN(SignInput in, ReadSignInput(kms, ctx, req, "Sign"));
  RETURN_IF_ERROR(CheckDryRun(req));
  ASSIGN_OR_RETURN(const crypto::PrivateKey* private_key, CurrentPrivateKey(*in.key));
  ASSIGN_OR_RETURN(Bytes signature, private_key->SignDigest(in.alg, in.digest));
  std::string text;
  JsonOut(text)
      .BeginObject()
      .Member("KeyId", in.key->record.Arn())
      .Key("Signature")
      .Base64(signature)
      .Member("SigningAlgorithm", in.alg_name)
      .EndObject();
  return text;
}

StatusOr<std::string> Verify(KmsService& kms, const RequestContext& ctx, JsonView req) {
  ASSIGN_OR_RETURN(SignInput in, ReadSignInput(kms, ctx, req, "Verify"));
  ASSIGN_OR_RETURN(Bytes signature, ReadBlob(req, "Signature"));
  RETURN_IF_ERROR(CheckDryRun(req));
  ASSIGN_OR_RETURN(const crypto::PrivateKey* private_key, CurrentPrivateKey(*in.key));
  if (!private_key->public_key().VerifyDigest(in.alg, in.digest, signature).ok()) {
    return Status(ErrorCode::kKmsInvalidSignature, "The signature is not valid for this message and key");
  }
  std::string text;
  JsonOut(text)
      .BeginObject()
      .Member("KeyId", in.key->record.Arn())
      .Member("SignatureValid", true)
      .Member("SigningAlgorithm", in.alg_name)
      .EndObject();
  return text;
}

StatusOr<Json> GetPublicKey(KmsService& kms, const RequestContext& ctx, const Json& req) {
  ASSIGN_OR_RETURN(auto key,
                   kms.Resolve(ctx, req.at("KeyId").get<std::string>(), KeyRefs::kAnyIncludingAlias));
  const KeyRecord& r = key->record;
  if (!SpecInfo(r.key_spec).asym) {
    return Status(ErrorCode::kUnsupportedOperation,
                  r.Arn() + " is not an asymmetric KMS key; only asymmetric keys have a public key");
  }
  RETURN_IF_ERROR(CheckUsableForCrypto(r));
  ASSIGN_OR_RETURN(const crypto::PrivateKey* private_key, CurrentPrivateKey(*key));
  Json out = {{"KeyId", r.Arn()},
              {"PublicKey", Base64Encode(private_key->PublicKeyDer())},
              {"CustomerMasterKeySpec", r.key_spec},
              {"KeySpec", r.key_spec},
              {"KeyUsage", r.key_usage}};
  for (const auto& list : AlgorithmsFor(SpecInfo(r.key_spec), r.key_usage)) out[list.member] = list.values;
  return out;
}

}  // namespace coffer::kms::ops

// Cryptographic operations on symmetric keys: Encrypt, Decrypt, ReEncrypt,
// GenerateDataKey, GenerateDataKeyWithoutPlaintext, GenerateRandom.
#include "crypto/crypto.h"

#include "common/encoding.h"
#include "common/json_writer.h"
#include "common/reused.h"
#include "kms/ops/asym_util.h"
#include "kms/ops/ops.h"
#include "kms/ops/rsa_encryption.h"

namespace coffer::kms::ops {
namespace {

// The views point into the LoadedKey it was sealed with (which the caller holds).
struct Sealed {
  Bytes blob;
  std::string_view key_arn;
  std::string_view version_id;
};

// Symmetric ciphertexts are made and opened only by symmetric encryption keys.
Status CheckSymmetricKey(const KeyRecord& r) {
  if (r.key_spec == "SYMMETRIC_DEFAULT") return Status::Ok();
  return {ErrorCode::kInvalidKeyUsage, "You cannot use the KMS key " + r.Arn() +
                                           " for this operation: it requires a symmetric encryption KMS key "
                                           "and its KeySpec is " +
                                           r.key_spec + "."};
}

// A key of a custom key store: its store's backend does the crypto, while
// the store is connected (KMSInvalidStateException otherwise).
StatusOr<std::shared_ptr<KeyStoreBackend>> StoreBackend(KmsService& kms, const KeyRecord& key) {
  if (kms.custom_key_stores() == nullptr) {
    return Status(ErrorCode::kInvalidState,
                  key.Arn() + " is in a custom key store this server does not serve.");
  }
  return kms.custom_key_stores()->BackendFor(key);
}

// A response's member names and punctuation fit in this; the values are added.
constexpr std::size_t kResponseSlack = 128;

constexpr std::size_t Base64Len(std::size_t bytes) { return (bytes + 2) / 3 * 4; }

StatusOr<Sealed> SealWith(KmsService& kms, const RequestContext& ctx, const LoadedKey& key,
                          const EncryptionContext& context, ByteView plaintext) {
  RETURN_IF_ERROR(CheckUsableForCrypto(key.record));
  RETURN_IF_ERROR(CheckSymmetricKey(key.record));
  const KeyVersion& current = key.record.Current();
  // Assigned into the thread's reused header: no copy of the ids allocates.
  struct HeaderTag;
  const Reused<CiphertextHeader, HeaderTag> header;
  header->account = key.record.account;
  header->key_id = key.record.key_id;
  header->version_id = key.current_version_id_bytes;
  if (!key.record.custom_key_store_id.empty()) {
    ASSIGN_OR_RETURN(auto backend, StoreBackend(kms, key.record));
    ASSIGN_OR_RETURN(Bytes blob, backend->Seal(key, *header, context, plaintext, CallFor(ctx, key.record)));
    return Sealed{std::move(blob), key.arn, current.id};
  }
  const SecretBytes* material = key.Material(current.id);
  if (material == nullptr) return InternalError("key material missing");
  ASSIGN_OR_RETURN(Bytes blob, SealCiphertext(*header, *material, context, plaintext, kms.random()));
  return Sealed{std::move(blob), key.arn, current.id};
}

struct Opened {
  SecretBytes plaintext;
  std::shared_ptr<const LoadedKey> key;
  std::string version_id;
};

// Decrypts a blob for the caller. `key_id` (optional) must name the key the
// blob was made under.
StatusOr<Opened> OpenBlob(KmsService& kms, const RequestContext& ctx, ByteView blob,
                          const EncryptionContext& context, const std::string& key_id) {
  ASSIGN_OR_RETURN(CiphertextHeader header, ParseCiphertextHeader(blob));
  std::shared_ptr<const LoadedKey> key;
  if (!key_id.empty()) {
    ASSIGN_OR_RETURN(key, kms.Resolve(ctx, key_id, KeyRefs::kAnyIncludingAlias));
    if (key->record.key_id != header.key_id || key->record.account != header.account) {
      return Status(ErrorCode::kIncorrectKey,
                    "The key ID in the request does not identify a KMS key that can perform this operation.");
    }
  } else {
    const bool other_account = header.account != ctx.account;
    if (other_account && kms.authorizer() == nullptr) {
      return AccessDeniedFor(ctx, KeyArn(ctx.region, header.account, header.key_id));
    }
    auto loaded = kms.keys().Load(ctx.region, header.account, header.key_id);
    if (!loaded.ok()) {
      if (other_account) return AccessDeniedFor(ctx, KeyArn(ctx.region, header.account, header.key_id));
      if (loaded.status().code() == ErrorCode::kNotFound) {
        return Status(ErrorCode::kInvalidCiphertext,
                      "The ciphertext refers to a KMS key that does not exist");
      }
      return loaded.status();
    }
    key = *loaded;
    RETURN_IF_ERROR(kms.AuthorizeKey(ctx, key->record));
  }
  RETURN_IF_ERROR(CheckUsableForCrypto(key->record));
  RETURN_IF_ERROR(CheckSymmetricKey(key->record));
  const std::string version_id = HexEncode(header.version_id);
  if (key->record.FindVersion(version_id) == nullptr) {
    return Status(ErrorCode::kInvalidCiphertext,
                  "The ciphertext is invalid or was not produced by this service");
  }
  if (!key->record.custom_key_store_id.empty()) {
    ASSIGN_OR_RETURN(auto backend, StoreBackend(kms, key->record));
    ASSIGN_OR_RETURN(SecretBytes plaintext, backend->Open(*key, blob, context, CallFor(ctx, key->record)));
    return Opened{std::move(plaintext), std::move(key), version_id};
  }
  const SecretBytes* material = key->Material(version_id);
  if (material == nullptr) return InternalError("key material missing");
  ASSIGN_OR_RETURN(SecretBytes plaintext, OpenCiphertext(blob, *material, context));
  return Opened{std::move(plaintext), std::move(key), version_id};
}

std::string KeyIdMember(JsonView req, std::string_view name) { return std::string(req.string_member(name)); }

struct Reopened {
  SecretBytes plaintext;
  std::shared_ptr<const LoadedKey> key;
  std::string algorithm;
  std::string version_id;  // symmetric sources only
};

// ReEncrypt's source: an RSA ciphertext when SourceKeyId names an RSA
// encryption key, a symmetric blob otherwise.
StatusOr<Reopened> OpenSource(KmsService& kms, const RequestContext& ctx, JsonView req, ByteView blob) {
  const std::string key_id = KeyIdMember(req, "SourceKeyId");
  if (!key_id.empty()) {
    ASSIGN_OR_RETURN(auto key, kms.Resolve(ctx, key_id, KeyRefs::kAnyIncludingAlias));
    if (IsRsaEncryptionKey(key->record)) {
      RETURN_IF_ERROR(CheckUsableForCrypto(key->record));
      ASSIGN_OR_RETURN(crypto::RsaPadding padding,
                       RsaPaddingFor(key->record, req, "SourceEncryptionAlgorithm"));
      RETURN_IF_ERROR(CheckNoContextForRsa(req, "SourceEncryptionContext"));
      ASSIGN_OR_RETURN(SecretBytes plaintext, RsaOpen(*key, padding, blob));
      return Reopened{std::move(plaintext), std::move(key), std::string(RsaAlgorithmName(padding)), ""};
    }
  }
  RETURN_IF_ERROR(CheckSymmetricAlgorithm(req, "SourceEncryptionAlgorithm"));
  ASSIGN_OR_RETURN(Opened opened,
                   OpenBlob(kms, ctx, blob, ReadContext(req, "SourceEncryptionContext"), key_id));
  return Reopened{std::move(opened.plaintext), std::move(opened.key), "SYMMETRIC_DEFAULT", opened.version_id};
}

// NumberOfBytes or KeySpec, exactly one, as GenerateDataKey requires.
StatusOr<std::size_t> DataKeyLength(JsonView req) {
  const JsonView bytes = req.find("NumberOfBytes");
  const JsonView spec = req.find("KeySpec");
  if (bytes.is_null() == spec.is_null()) {
    return ValidationError("Please specify either number of bytes or key spec.");
  }
  if (!bytes.is_null()) return static_cast<std::size_t>(bytes.int64());
  return spec.str() == "AES_128" ? std::size_t{16} : std::size_t{32};
}

StatusOr<std::string> GenerateDataKeyImpl(KmsService& kms, const RequestContext& ctx, JsonView req,
                                          bool with_plaintext) {
  ASSIGN_OR_RETURN(std::size_t len, DataKeyLength(req));
  ASSIGN_OR_RETURN(auto key, kms.Resolve(ctx, req.string_member("KeyId"), KeyRefs::kAnyIncludingAlias));
  RETURN_IF_ERROR(CheckUsableForCrypto(key->record));
  RETURN_IF_ERROR(CheckDryRun(req));
  ASSIGN_OR_RETURN(SecretBytes data_key, crypto::RandomSecret(kms.random(), len));
  ASSIGN_OR_RETURN(Sealed sealed,
                   SealWith(kms, ctx, *key, ReadContext(req, "EncryptionContext"), data_key.view()));
  std::string text;
  text.reserve(kResponseSlack + Base64Len(sealed.blob.size()) + sealed.key_arn.size() +
               sealed.version_id.size() + (with_plaintext ? Base64Len(data_key.size()) : 0));
  JsonOut out(text);
  out.BeginObject().Key("CiphertextBlob").Base64(sealed.blob).Member("KeyId", sealed.key_arn);
  out.Member("KeyMaterialId", sealed.version_id);
  if (with_plaintext) out.Key("Plaintext").Base64(data_key.view());
  out.EndObject();
  return text;
}

}  // namespace

StatusOr<SymmetricSeal> SealSymmetric(KmsService& kms, const RequestContext& ctx, const LoadedKey& key,
                                      const EncryptionContext& context, ByteView plaintext) {
  ASSIGN_OR_RETURN(Sealed sealed, SealWith(kms, ctx, key, context, plaintext));
  return SymmetricSeal{std::move(sealed.blob), std::string(sealed.version_id)};
}

StatusOr<std::string> Encrypt(KmsService& kms, const RequestContext& ctx, JsonView req) {
  ASSIGN_OR_RETURN(auto key, kms.Resolve(ctx, req.string_member("KeyId"), KeyRefs::kAnyIncludingAlias));
  RETURN_IF_ERROR(CheckUsableForCrypto(key->record));
  if (IsRsaEncryptionKey(key->record)) return AsText(EncryptRsa(*key, req));
  RETURN_IF_ERROR(CheckSymmetricKey(key->record));
  RETURN_IF_ERROR(CheckSymmetricAlgorithm(req, "EncryptionAlgorithm"));
  RETURN_IF_ERROR(CheckDryRun(req));
  ASSIGN_OR_RETURN(Bytes plaintext_bytes, ReadBlob(req, "Plaintext"));
  SecretBytes plaintext(plaintext_bytes);
  SecureWipe(plaintext_bytes.data(), plaintext_bytes.size());
  ASSIGN_OR_RETURN(Sealed sealed,
                   SealWith(kms, ctx, *key, ReadContext(req, "EncryptionContext"), plaintext.view()));
  std::string text;
  text.reserve(kResponseSlack + Base64Len(sealed.blob.size()) + sealed.key_arn.size());
  JsonOut(text)
      .BeginObject()
      .Key("CiphertextBlob")
      .Base64(sealed.blob)
      .Member("KeyId", sealed.key_arn)
      .Member("EncryptionAlgorithm", "SYMMETRIC_DEFAULT")
      .EndObject();
  return text;
}

StatusOr<std::string> Decrypt(KmsService& kms, const RequestContext& ctx, JsonView req) {
  if (req.contains("Recipient")) {
    return Status(ErrorCode::kUnsupportedOperation,
                  "Nitro Enclaves attestation (Recipient) is not supported");
  }
  ASSIGN_OR_RETURN(Bytes blob, ReadBlob(req, "CiphertextBlob"));
  if (blob.empty()) return ValidationFailure("ciphertextBlob", "", "Member must not be null");
  const std::string key_id = KeyIdMember(req, "KeyId");
  if (!key_id.empty()) {
    ASSIGN_OR_RETURN(auto key, kms.Resolve(ctx, key_id, KeyRefs::kAnyIncludingAlias));
    if (IsRsaEncryptionKey(key->record)) return AsText(DecryptRsa(*key, req, blob));
  }
  RETURN_IF_ERROR(CheckSymmetricAlgorithm(req, "EncryptionAlgorithm"));
  ASSIGN_OR_RETURN(Opened opened, OpenBlob(kms, ctx, blob, ReadContext(req, "EncryptionContext"), key_id));
  RETURN_IF_ERROR(CheckDryRun(req));
  const std::string key_arn = opened.key->record.Arn();
  std::string text;
  text.reserve(kResponseSlack + key_arn.size() + Base64Len(opened.plaintext.size()) +
               opened.version_id.size());
  JsonOut(text)
      .BeginObject()
      .Member("KeyId", key_arn)
      .Key("Plaintext")
      .Base64(opened.plaintext.view())
      .Member("EncryptionAlgorithm", "SYMMETRIC_DEFAULT")
      .Member("KeyMaterialId", opened.version_id)
      .EndObject();
  return text;
}

StatusOr<Json> ReEncrypt(KmsService& kms, const RequestContext& ctx, const Json& req) {
  ASSIGN_OR_RETURN(Bytes blob, ReadBlob(req, "CiphertextBlob"));
  // AWS authorizes kms:ReEncryptFrom on the source key and kms:ReEncryptTo on the destination.
  RequestContext from = ctx;
  from.action = "kms:ReEncryptFrom";
  RequestContext to = ctx;
  to.action = "kms:ReEncryptTo";
  ASSIGN_OR_RETURN(Reopened source, OpenSource(kms, from, req, blob));
  ASSIGN_OR_RETURN(auto destination, kms.Resolve(to, req.at("DestinationKeyId").get<std::string>(),
                                                 KeyRefs::kAnyIncludingAlias));
  RETURN_IF_ERROR(CheckUsableForCrypto(destination->record));
  Json out = {{"SourceKeyId", source.key->record.Arn()},
              {"KeyId", destination->record.Arn()},
              {"SourceEncryptionAlgorithm", source.algorithm}};
  if (!source.version_id.empty()) out["SourceKeyMaterialId"] = source.version_id;
  if (IsRsaEncryptionKey(destination->record)) {
    ASSIGN_OR_RETURN(crypto::RsaPadding padding,
                     RsaPaddingFor(destination->record, req, "DestinationEncryptionAlgorithm"));
    RETURN_IF_ERROR(CheckNoContextForRsa(req, "DestinationEncryptionContext"));
    RETURN_IF_ERROR(CheckDryRun(req));
    ASSIGN_OR_RETURN(Bytes sealed, RsaSeal(*destination, padding, source.plaintext.view()));
    out["CiphertextBlob"] = Base64Encode(sealed);
    out["DestinationEncryptionAlgorithm"] = RsaAlgorithmName(padding);
    return out;
  }
  RETURN_IF_ERROR(CheckSymmetricAlgorithm(req, "DestinationEncryptionAlgorithm"));
  RETURN_IF_ERROR(CheckDryRun(req));
  ASSIGN_OR_RETURN(Sealed sealed,
                   SealWith(kms, to, *destination, ReadContext(req, "DestinationEncryptionContext"),
                            source.plaintext.view()));
  out["CiphertextBlob"] = Base64Encode(sealed.blob);
  out["DestinationEncryptionAlgorithm"] = "SYMMETRIC_DEFAULT";
  out["DestinationKeyMaterialId"] = std::string(sealed.version_id);
  return out;
}

StatusOr<std::string> GenerateDataKey(KmsService& kms, const RequestContext& ctx, JsonView req) {
  return GenerateDataKeyImpl(kms, ctx, req, /*with_plaintext=*/true);
}

StatusOr<std::string> GenerateDataKeyWithoutPlaintext(KmsService& kms, const RequestContext& ctx,
                                                      JsonView req) {
  return GenerateDataKeyImpl(kms, ctx, req, /*with_plaintext=*/false);
}

StatusOr<Json> GenerateRandom(KmsService& kms, const RequestContext& ctx, const Json& req) {
  RETURN_IF_ERROR(kms.AuthorizeAccount(ctx));
  if (req.contains("Recipient")) {
    return Status(ErrorCode::kUnsupportedOperation,
                  "Nitro Enclaves attestation (Recipient) is not supported");
  }
  if (!req.contains("NumberOfBytes") || req["NumberOfBytes"].is_null()) {
    return ValidationError(
        "1 validation error detected: Value null at 'numberOfBytes' failed to satisfy constraint: Member "
        "must not be "
        "null");
  }
  const auto n = static_cast<std::size_t>(req["NumberOfBytes"].get<std::int64_t>());
  if (req.contains("CustomKeyStoreId") && !req["CustomKeyStoreId"].is_null()) {
    ASSIGN_OR_RETURN(SecretBytes random,
                     GenerateRandomInCustomKeyStore(kms, ctx, req["CustomKeyStoreId"].get<std::string>(), n));
    return Json{{"Plaintext", Base64Encode(random.view())}};
  }
  ASSIGN_OR_RETURN(SecretBytes random, crypto::RandomSecret(kms.random(), n));
  return Json{{"Plaintext", Base64Encode(random.view())}};
}

}  // namespace coffer::kms::ops

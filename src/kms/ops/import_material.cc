#include "kms/ops/import_material.h"

#include "common/encoding.h"
#include "crypto/asymmetric.h"
#include "kms/key_spec.h"

namespace coffer::kms::ops {
namespace {

Status BadWrapping() {
  return {ErrorCode::kInvalidCiphertext,
          "The EncryptedKeyMaterial could not be decrypted with the wrapping key and algorithm of the import "
          "token"};
}

crypto::RsaPadding OaepFor(const std::string& algorithm) {
  return algorithm.ends_with("SHA_1") ? crypto::RsaPadding::kOaepSha1 : crypto::RsaPadding::kOaepSha256;
}

}  // namespace

StatusOr<SecretBytes> UnwrapImportedMaterial(KmsService& kms, const KeyRecord& r, ByteView encrypted) {
  ASSIGN_OR_RETURN(SecretBytes pkcs8,
                   kms.keys().UnwrapSecret(r.import->wrapped_private_key, ImportWrappingAad(r.Arn())));
  ASSIGN_OR_RETURN(auto wrapping_key, crypto::PrivateKey::FromPkcs8(pkcs8.view()));
  const std::string& algorithm = r.import->wrapping_algorithm;
  if (algorithm.starts_with("RSAES_OAEP")) {
    auto material = wrapping_key->Decrypt(OaepFor(algorithm), encrypted);
    if (!material.ok()) return BadWrapping();
    return std::move(*material);
  }
  const std::size_t rsa_len = static_cast<std::size_t>(crypto::KeyBits(wrapping_key->spec())) / 8;
  if (encrypted.size() <= rsa_len) return BadWrapping();
  auto aes_key = wrapping_key->Decrypt(OaepFor(algorithm), encrypted.first(rsa_len));
  if (!aes_key.ok()) return BadWrapping();
  auto material = crypto::AesKeyUnwrapPad(aes_key->view(), encrypted.subspan(rsa_len));
  if (!material.ok()) return BadWrapping();
  return std::move(*material);
}

StatusOr<std::string> AcceptMaterial(KeyRecord& r, ByteView material, const std::string& wanted_id) {
  if (!MaterialFits(SpecInfo(r.key_spec), material)) {
    return Status(ErrorCode::kIncorrectKeyMaterial,
                  "The key material is not valid for a KMS key with KeySpec " + r.key_spec);
  }
  crypto::Hasher hasher(crypto::HashAlg::kSha256);
  hasher.Update(AsBytes("coffer:imported-key-material-id:" + r.Arn() + "\n"));
  hasher.Update(material);
  const std::string id = HexEncode(hasher.Final());
  const std::string& expected = r.imported_material_id.empty() ? wanted_id : r.imported_material_id;
  if (!expected.empty() && expected != id) {
    return Status(ErrorCode::kIncorrectKeyMaterial,
                  "The key material is not the key material previously imported into " + r.Arn());
  }
  r.imported_material_id = id;
  return id;
}

}  // namespace coffer::kms::ops

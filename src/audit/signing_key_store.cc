#include "audit/signing_key_store.h"

#include <nlohmann/json.hpp>

#include "audit/chain.h"
#include "common/encoding.h"
#include "crypto/crypto.h"

namespace coffer::audit {
namespace {

constexpr std::string_view kWrapAad = kSigningKeyWrapAad;

StatusOr<std::unique_ptr<crypto::P384SigningKey>> LoadKey(const std::string& text,
                                                          const rootkey::RootKey& root_key) {
  const auto doc = nlohmann::json::parse(text, nullptr, false);
  if (doc.is_discarded() || !doc.is_object() || !doc.value("wrapped", nlohmann::json()).is_string()) {
    return InternalError("audit signing key file is malformed");
  }
  const auto wrapped = Base64Decode(doc["wrapped"].get<std::string>());
  if (!wrapped) return InternalError("audit signing key file is malformed");
  ASSIGN_OR_RETURN(SecretBytes pkcs8, root_key.Unwrap(*wrapped, kWrapAad));
  return crypto::P384SigningKey::FromPkcs8(pkcs8.view());
}

StatusOr<std::unique_ptr<crypto::P384SigningKey>> CreateKey(const std::filesystem::path& dir,
                                                            const rootkey::RootKey& root_key) {
  ASSIGN_OR_RETURN(auto key, crypto::P384SigningKey::Generate());
  ASSIGN_OR_RETURN(SecretBytes pkcs8, key->Pkcs8());
  ASSIGN_OR_RETURN(Bytes wrapped, root_key.Wrap(pkcs8.view(), kWrapAad));
  const nlohmann::json doc = {{"version", 1},
                              {"algorithm", "ECDSA_P384_SHA384"},
                              {"wrapped", Base64Encode(wrapped)},
                              {"publicKey", Base64Encode(key->PublicKeyDer())}};
  RETURN_IF_ERROR(WriteFileAtomically(dir / kSigningKeyFile, doc.dump(2) + "\n", 0600));
  return key;
}

}  // namespace

std::string KeyFingerprint(ByteView public_der) { return HexEncode(crypto::Sha256(public_der)); }

StatusOr<std::unique_ptr<crypto::P384SigningKey>> LoadOrCreateSigningKey(const std::filesystem::path& dir,
                                                                         const rootkey::RootKey& root_key) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return InternalError("cannot create audit directory " + dir.string());
  auto text = ReadWholeFile(dir / kSigningKeyFile);
  std::unique_ptr<crypto::P384SigningKey> key;
  if (text.ok()) {
    ASSIGN_OR_RETURN(key, LoadKey(*text, root_key));
  } else {
    ASSIGN_OR_RETURN(key, CreateKey(dir, root_key));
  }
  // Re-exported on every start so a deleted or edited copy is repaired.
  RETURN_IF_ERROR(WriteFileAtomically(dir / kPublicKeyFile, crypto::PublicKeyPem(key->PublicKeyDer()), 0644));
  return key;
}

}  // namespace coffer::audit

#include "rootkey/root_key.h"

#include <fstream>

#include "common/encoding.h"
#include "crypto/crypto.h"
#include "rootkey/private_file.h"

namespace coffer::rootkey {
namespace {

constexpr std::size_t kRootKeyLen = 32;
constexpr std::size_t kSaltLen = 16;
constexpr std::string_view kCheckAad = "coffer:root-key-check";

}  // namespace

SoftwareRootKey::SoftwareRootKey(SecretBytes key, RandomSource& random)
    : key_(std::move(key)), random_(random) {}

StatusOr<Bytes> SoftwareRootKey::Wrap(ByteView plaintext, std::string_view aad) const {
  Bytes out(1 + crypto::kGcmIvLen + plaintext.size() + crypto::kGcmTagLen);
  out[0] = kSoftwareWrapFormat;
  std::span<std::uint8_t> iv(out.data() + 1, crypto::kGcmIvLen);
  RETURN_IF_ERROR(random_.Fill(iv));
  std::span<std::uint8_t> ct(out.data() + 1 + crypto::kGcmIvLen, plaintext.size());
  std::span<std::uint8_t, crypto::kGcmTagLen> tag(out.data() + out.size() - crypto::kGcmTagLen,
                                                  crypto::kGcmTagLen);
  RETURN_IF_ERROR(crypto::AesGcmSeal(key_.view(), iv, AsBytes(aad), plaintext, ct, tag));
  return out;
}

StatusOr<SecretBytes> SoftwareRootKey::Unwrap(ByteView wrapped, std::string_view aad) const {
  static_assert(kWrapOverhead == 1 + crypto::kGcmIvLen + crypto::kGcmTagLen);
  if (wrapped.size() < kWrapOverhead || wrapped[0] != kSoftwareWrapFormat) {
    return InternalError("stored wrapped secret is malformed");
  }
  const std::size_t ct_len = wrapped.size() - kWrapOverhead;
  SecretBytes out(ct_len);
  Status st = crypto::AesGcmOpen(key_.view(), wrapped.subspan(1, crypto::kGcmIvLen), AsBytes(aad),
                                 wrapped.subspan(1 + crypto::kGcmIvLen, ct_len),
                                 wrapped.subspan(wrapped.size() - crypto::kGcmTagLen), out.mutable_view());
  if (!st.ok()) return InternalError("stored secret does not unwrap under this root key");
  return out;
}

StatusOr<std::unique_ptr<RootKey>> LoadOrCreateFileRootKey(const std::filesystem::path& path,
                                                           RandomSource& random) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) {
    ASSIGN_OR_RETURN(SecretBytes fresh, crypto::RandomSecret(random, kRootKeyLen));
    RETURN_IF_ERROR(WriteNewPrivateFile(path, fresh.view()));
  }
  ASSIGN_OR_RETURN(SecretBytes key, ReadPrivateFile(path, "root key file"));
  if (key.size() != kRootKeyLen) {
    return InternalError("root key file " + path.string() + " must hold exactly 32 bytes");
  }
  return std::unique_ptr<RootKey>(std::make_unique<SoftwareRootKey>(std::move(key), random));
}

StatusOr<std::unique_ptr<RootKey>> DeriveRootKeyFromPassphrase(std::string_view passphrase,
                                                               const std::filesystem::path& salt_path,
                                                               RandomSource& random) {
  if (passphrase.size() < 8) return InternalError("root key passphrase must be at least 8 characters");
  const crypto::Argon2Params params;
  std::error_code ec;
  const bool first_start = !std::filesystem::exists(salt_path, ec);
  Bytes salt(kSaltLen);
  std::string stored_check;
  if (first_start) {
    RETURN_IF_ERROR(random.Fill(salt));
  } else {
    std::ifstream in(salt_path);
    std::string salt_hex;
    in >> salt_hex >> stored_check;
    auto decoded = HexDecode(salt_hex);
    if (!in || !decoded || decoded->size() != kSaltLen) {
      return InternalError("passphrase salt file " + salt_path.string() + " is malformed");
    }
    salt = std::move(*decoded);
  }
  ASSIGN_OR_RETURN(SecretBytes key, crypto::Argon2id(passphrase, salt, params, kRootKeyLen));
  std::unique_ptr<RootKey> root = std::make_unique<SoftwareRootKey>(std::move(key), random);
  if (first_start) {
    ASSIGN_OR_RETURN(Bytes check, root->Wrap({}, kCheckAad));
    const std::string text = HexEncode(salt) + "\n" + HexEncode(check) + "\n";
    RETURN_IF_ERROR(WriteNewPrivateFile(salt_path, AsBytes(text)));
    return root;
  }
  auto check = HexDecode(stored_check);
  if (!check || !root->Unwrap(*check, kCheckAad).ok()) {
    return InternalError("wrong root key passphrase for this data directory");
  }
  return root;
}

}  // namespace coffer::rootkey

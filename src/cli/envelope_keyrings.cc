#include "cli/envelope_keyrings.h"

#include <algorithm>
#include <array>
#include <utility>

#include "cli/envelope_io.h"
#include "coffer/kms_client.h"
#include "common/encoding.h"
#include "envelope/kms/endpoint.h"

namespace coffer::cli {
namespace {

using envelope::CommitmentPolicy;
using envelope::Keyring;
using envelope::RsaPaddingScheme;
using envelope::SuiteId;

constexpr std::array<std::pair<std::string_view, SuiteId>, 11> kSuiteNames = {{
    {"AES_128_GCM_IV12_TAG16_NO_KDF", SuiteId::kAes128GcmIv12Tag16NoKdf},
    {"AES_192_GCM_IV12_TAG16_NO_KDF", SuiteId::kAes192GcmIv12Tag16NoKdf},
    {"AES_256_GCM_IV12_TAG16_NO_KDF", SuiteId::kAes256GcmIv12Tag16NoKdf},
    {"AES_128_GCM_IV12_TAG16_HKDF_SHA256", SuiteId::kAes128GcmIv12Tag16HkdfSha256},
    {"AES_192_GCM_IV12_TAG16_HKDF_SHA256", SuiteId::kAes192GcmIv12Tag16HkdfSha256},
    {"AES_256_GCM_IV12_TAG16_HKDF_SHA256", SuiteId::kAes256GcmIv12Tag16HkdfSha256},
    {"AES_128_GCM_IV12_TAG16_HKDF_SHA256_ECDSA_P256", SuiteId::kAes128GcmIv12Tag16HkdfSha256EcdsaP256},
    {"AES_192_GCM_IV12_TAG16_HKDF_SHA384_ECDSA_P384", SuiteId::kAes192GcmIv12Tag16HkdfSha384EcdsaP384},
    {"AES_256_GCM_IV12_TAG16_HKDF_SHA384_ECDSA_P384", SuiteId::kAes256GcmIv12Tag16HkdfSha384EcdsaP384},
    {"AES_256_GCM_HKDF_SHA512_COMMIT_KEY", SuiteId::kAes256GcmHkdfSha512CommitKey},
    {"AES_256_GCM_HKDF_SHA512_COMMIT_KEY_ECDSA_P384", SuiteId::kAes256GcmHkdfSha512CommitKeyEcdsaP384},
}};

constexpr std::array<std::pair<std::string_view, CommitmentPolicy>, 3> kPolicies = {{
    {"require-encrypt-require-decrypt", CommitmentPolicy::kRequireEncryptRequireDecrypt},
    {"require-encrypt-allow-decrypt", CommitmentPolicy::kRequireEncryptAllowDecrypt},
    {"forbid-encrypt-allow-decrypt", CommitmentPolicy::kForbidEncryptAllowDecrypt},
}};

constexpr std::array<std::pair<std::string_view, RsaPaddingScheme>, 5> kPaddings = {{
    {"pkcs1", RsaPaddingScheme::kPkcs1},
    {"oaep-sha1", RsaPaddingScheme::kOaepSha1},
    {"oaep-sha256", RsaPaddingScheme::kOaepSha256},
    {"oaep-sha384", RsaPaddingScheme::kOaepSha384},
    {"oaep-sha512", RsaPaddingScheme::kOaepSha512},
}};

template <typename T, std::size_t N>
StatusOr<T> Lookup(const std::array<std::pair<std::string_view, T>, N>& table, std::string_view name,
                   const char* flag) {
  for (const auto& [key, value] : table) {
    if (key == name) return value;
  }
  return ValidationError(std::string("unknown value for ") + flag + ": " + std::string(name));
}

StatusOr<SuiteId> ParseSuite(const std::string& text) {
  std::string upper = text;
  std::transform(upper.begin(), upper.end(), upper.begin(), [](unsigned char c) { return std::toupper(c); });
  for (const auto& [name, id] : kSuiteNames) {
    char hex[8];
    std::snprintf(hex, sizeof hex, "0X%04X", static_cast<unsigned>(id));
    if (upper == name || upper == hex) return id;
  }
  return ValidationError("unknown --suite " + text + " (use a suite name or its id, e.g. 0x0478)");
}

// A raw AES key file holds the 16, 24 or 32 key bytes, or them in base64.
StatusOr<SecretBytes> ReadAesKey(const std::string& path) {
  ASSIGN_OR_RETURN(Bytes bytes, ReadSmallFile(path));
  SecretBytes key(bytes);
  SecureWipe(bytes.data(), bytes.size());
  if (key.size() == 16 || key.size() == 24 || key.size() == 32) return key;
  std::string text(AsChars(key.view()));
  text.erase(text.find_last_not_of(" \t\r\n") + 1);
  auto decoded = Base64Decode(text);
  SecureWipe(text.data(), text.size());
  if (!decoded || (decoded->size() != 16 && decoded->size() != 24 && decoded->size() != 32)) {
    if (decoded) SecureWipe(decoded->data(), decoded->size());
    return ValidationError("--raw-aes-key-file must hold a 16, 24 or 32-byte key (raw or base64)");
  }
  SecretBytes out(*decoded);
  SecureWipe(decoded->data(), decoded->size());
  return out;
}

std::string KeyName(const EnvelopeArgs& args, const std::string& file) {
  return args.key_name.empty() ? std::filesystem::path(file).filename().string() : args.key_name;
}

StatusOr<std::shared_ptr<envelope::KmsClient>> KmsClientFor(const EnvelopeArgs& args) {
  envelope::KmsClientOptions options;
  options.endpoint = args.endpoint_url;
  options.region = args.region;
  options.profile = args.profile;
  auto resolved = envelope::ResolveKmsConfig(options, envelope::ProcessEnvironment());
  if (!resolved.ok() && options.region.empty() && !args.kms_keys.empty()) {
    // No configured region: the key ARN names one (as the SDK's client supplier uses it).
    if (auto arn = envelope::ParseKmsArn(args.kms_keys.front())) {
      options.region = arn->region;
      resolved = envelope::ResolveKmsConfig(options, envelope::ProcessEnvironment());
    }
  }
  if (!resolved.ok()) return resolved.status();
  options = std::move(resolved).value();
  ASSIGN_OR_RETURN(std::unique_ptr<envelope::KmsClient> client, envelope::KmsClient::Create(options));
  return std::shared_ptr<envelope::KmsClient>(std::move(client));
}

StatusOr<std::vector<std::shared_ptr<Keyring>>> KmsKeyrings(const EnvelopeArgs& args, Direction direction) {
  std::vector<std::shared_ptr<Keyring>> out;
  if (args.kms_keys.empty() && !args.discovery && args.discovery_accounts.empty() &&
      args.discovery_partition == "aws") {
    return out;
  }
  if (direction == Direction::kEncrypt && args.discovery)
    return ValidationError("--discovery is for decrypt only");
  if (args.discovery && !args.kms_keys.empty()) return ValidationError("use --key or --discovery, not both");
  if (!args.discovery && (!args.discovery_accounts.empty() || args.discovery_partition != "aws")) {
    return ValidationError("--discovery-account and --discovery-partition need --discovery");
  }
  if (args.discovery_accounts.empty() && args.discovery_partition != "aws") {
    return ValidationError("--discovery-partition needs --discovery-account (a discovery filter names both)");
  }
  ASSIGN_OR_RETURN(std::shared_ptr<envelope::KmsClient> client, KmsClientFor(args));
  if (!args.discovery) {
    ASSIGN_OR_RETURN(std::unique_ptr<Keyring> keyring, envelope::NewKmsKeyring(client, args.kms_keys));
    out.push_back(std::move(keyring));
    return out;
  }
  std::optional<envelope::DiscoveryFilter> filter;
  if (!args.discovery_accounts.empty())
    filter = envelope::DiscoveryFilter{args.discovery_partition, args.discovery_accounts};
  ASSIGN_OR_RETURN(std::unique_ptr<Keyring> keyring, envelope::NewKmsDiscoveryKeyring(client, filter));
  out.push_back(std::move(keyring));
  return out;
}

Status AddRawKeyrings(const EnvelopeArgs& args, std::vector<std::shared_ptr<Keyring>>& out) {
  if (!args.raw_aes_key_file.empty()) {
    ASSIGN_OR_RETURN(SecretBytes key, ReadAesKey(args.raw_aes_key_file));
    ASSIGN_OR_RETURN(
        std::unique_ptr<Keyring> keyring,
        envelope::NewRawAesKeyring(args.key_namespace, KeyName(args, args.raw_aes_key_file), std::move(key)));
    out.push_back(std::move(keyring));
  }
  if (!args.raw_rsa_key_file.empty()) {
    ASSIGN_OR_RETURN(RsaPaddingScheme padding, Lookup(kPaddings, args.rsa_padding, "--rsa-padding"));
    ASSIGN_OR_RETURN(Bytes pem, ReadSmallFile(args.raw_rsa_key_file));
    auto keyring = envelope::NewRawRsaKeyring(args.key_namespace, KeyName(args, args.raw_rsa_key_file),
                                              std::string_view(AsChars(pem)), padding);
    SecureWipe(pem.data(), pem.size());
    if (!keyring.ok()) return keyring.status();
    out.push_back(std::move(keyring).value());
  }
  return Status::Ok();
}

class ExpectingCmm final : public envelope::CryptoMaterialsManager {
 public:
  ExpectingCmm(std::unique_ptr<CryptoMaterialsManager> inner, envelope::EncryptionContext expected)
      : inner_(std::move(inner)), expected_(std::move(expected)) {}
  StatusOr<envelope::EncryptionMaterials> GetEncryptionMaterials(
      const envelope::EncryptionMaterialsRequest& request) override {
    return inner_->GetEncryptionMaterials(request);
  }
  StatusOr<envelope::DecryptionMaterials> DecryptMaterials(
      const envelope::DecryptMaterialsRequest& request) override {
    for (const auto& [key, value] : expected_) {
      auto it = request.context.find(key);
      if (it == request.context.end() || it->second != value) {
        return ValidationError("the message's encryption context does not have the expected pair for key '" +
                               key + "'");
      }
    }
    return inner_->DecryptMaterials(request);
  }

 private:
  std::unique_ptr<CryptoMaterialsManager> inner_;
  envelope::EncryptionContext expected_;
};

}  // namespace

StatusOr<std::shared_ptr<Keyring>> BuildKeyring(const EnvelopeArgs& args, Direction direction) {
  ASSIGN_OR_RETURN(std::vector<std::shared_ptr<Keyring>> keyrings, KmsKeyrings(args, direction));
  RETURN_IF_ERROR(AddRawKeyrings(args, keyrings));
  if (keyrings.empty()) {
    return ValidationError("no key given: use --key, --discovery, --raw-aes-key-file or --raw-rsa-key-file");
  }
  if (keyrings.size() == 1) return keyrings.front();
  std::shared_ptr<Keyring> generator;
  if (direction == Direction::kEncrypt) {
    generator = keyrings.front();
    keyrings.erase(keyrings.begin());
  }
  ASSIGN_OR_RETURN(std::unique_ptr<Keyring> multi, envelope::NewMultiKeyring(generator, std::move(keyrings)));
  return std::shared_ptr<Keyring>(std::move(multi));
}

StatusOr<envelope::EncryptionContext> ParseContextPairs(const std::vector<std::string>& pairs,
                                                        const char* flag) {
  envelope::EncryptionContext context;
  for (const std::string& pair : pairs) {
    const auto eq = pair.find('=');
    if (eq == std::string::npos || eq == 0)
      return ValidationError(std::string(flag) + " needs key=value, got: " + pair);
    if (!context.emplace(pair.substr(0, eq), pair.substr(eq + 1)).second) {
      return ValidationError(std::string(flag) + " repeats the key " + pair.substr(0, eq));
    }
  }
  return context;
}

StatusOr<envelope::EncryptOptions> BuildEncryptOptions(const EnvelopeArgs& args) {
  envelope::EncryptOptions options;
  ASSIGN_OR_RETURN(options.commitment_policy,
                   Lookup(kPolicies, args.commitment_policy, "--commitment-policy"));
  if (!args.suite.empty()) {
    ASSIGN_OR_RETURN(options.suite, ParseSuite(args.suite));
  }
  options.frame_length = args.frame_length;
  options.max_encrypted_data_keys = args.max_encrypted_data_keys;
  return options;
}

StatusOr<envelope::DecryptOptions> BuildDecryptOptions(const EnvelopeArgs& args) {
  envelope::DecryptOptions options;
  ASSIGN_OR_RETURN(options.commitment_policy,
                   Lookup(kPolicies, args.commitment_policy, "--commitment-policy"));
  options.max_encrypted_data_keys = args.max_encrypted_data_keys;
  return options;
}

StatusOr<std::unique_ptr<envelope::CryptoMaterialsManager>> BuildCmm(std::shared_ptr<Keyring> keyring,
                                                                     envelope::EncryptionContext expected) {
  auto cmm = envelope::NewDefaultCmm(std::move(keyring));
  if (expected.empty()) return cmm;
  return std::unique_ptr<envelope::CryptoMaterialsManager>(
      new ExpectingCmm(std::move(cmm), std::move(expected)));
}

}  // namespace coffer::cli

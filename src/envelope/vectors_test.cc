// The official ESDK decrypt manifests (shared/oracles/esdk/): every raw-key
// message decrypts to its plaintext; every negative message fails.
#include <cstdio>
#include <string>

#include "envelope/test_util.h"

namespace coffer::envelope {
namespace {

using nlohmann::json;
using testing::B64;
using testing::LoadJson;
using testing::OracleFile;
using testing::ReadFileBytes;

struct Tally {
  int passed = 0;
  int failed = 0;
  int skipped = 0;
};

std::string Resolve(const std::string& dir, const std::string& uri) {
  const std::string prefix = "file://";
  return OracleFile(dir + "/" + (uri.rfind(prefix, 0) == 0 ? uri.substr(prefix.size()) : uri));
}

StatusOr<RsaPaddingScheme> Padding(const json& mk) {
  const std::string algorithm = mk.value("padding-algorithm", "");
  if (algorithm == "pkcs1") return RsaPaddingScheme::kPkcs1;
  const std::string hash = mk.value("padding-hash", "");
  if (algorithm == "oaep-mgf1" && hash == "sha1") return RsaPaddingScheme::kOaepSha1;
  if (algorithm == "oaep-mgf1" && hash == "sha256") return RsaPaddingScheme::kOaepSha256;
  if (algorithm == "oaep-mgf1" && hash == "sha384") return RsaPaddingScheme::kOaepSha384;
  if (algorithm == "oaep-mgf1" && hash == "sha512") return RsaPaddingScheme::kOaepSha512;
  return ValidationError("unsupported RSA padding " + algorithm + "/" + hash);
}

// One keyring per master key, combined; an error names why the case is skipped.
StatusOr<std::unique_ptr<Keyring>> BuildKeyring(const json& master_keys, const json& keys) {
  std::vector<std::shared_ptr<Keyring>> children;
  for (const json& mk : master_keys) {
    if (mk.at("type") != "raw") return ValidationError("master key type " + mk.at("type").get<std::string>());
    const json& key = keys.at(mk.at("key").get<std::string>());
    const std::string name = key.value("key-id", mk.at("key").get<std::string>());
    const std::string ns = mk.at("provider-id");
    if (mk.at("encryption-algorithm") == "aes") {
      auto material = Base64Decode(key.at("material").get<std::string>());
      if (!material) return ValidationError("bad AES key material");
      ASSIGN_OR_RETURN(auto keyring, NewRawAesKeyring(ns, name, SecretBytes(*material)));
      children.push_back(std::move(keyring));
    } else if (mk.at("encryption-algorithm") == "rsa") {
      ASSIGN_OR_RETURN(RsaPaddingScheme padding, Padding(mk));
      ASSIGN_OR_RETURN(auto keyring,
                       NewRawRsaKeyring(ns, name, key.at("material").get<std::string>(), padding));
      children.push_back(std::move(keyring));
    } else {
      return ValidationError("encryption algorithm " + mk.at("encryption-algorithm").get<std::string>());
    }
  }
  return NewMultiKeyring(nullptr, std::move(children));
}

DecryptOptions OptionsFor(const json& test) {
  DecryptOptions options;
  options.commitment_policy = CommitmentPolicy::kRequireEncryptAllowDecrypt;
  if (test.contains("encryption-context")) {
    options.reproduced_context = test.at("encryption-context").get<EncryptionContext>();
  }
  if (test.value("cmm", "Default") == "RequiredEncryptionContext") {
    for (const auto& [key, value] : options.reproduced_context) options.required_context_keys.push_back(key);
  }
  return options;
}

// `failure`: when set, every negative case must fail with a message holding
// it (the reason the manifest gives), not merely fail.
Tally RunManifest(const std::string& dir, const std::string& manifest_file, const std::string& failure = "") {
  const json manifest = LoadJson(OracleFile(dir + "/" + manifest_file));
  const json keys = LoadJson(Resolve(dir, manifest.at("keys"))).at("keys");
  Tally tally;
  for (const auto& [name, test] : manifest.at("tests").items()) {
    auto keyring = BuildKeyring(test.at("master-keys"), keys);
    if (!keyring.ok()) {
      ++tally.skipped;
      std::printf("[ skipped ] %s %s: %s\n", dir.c_str(), name.c_str(), keyring.status().message().c_str());
      continue;
    }
    const Bytes ciphertext = ReadFileBytes(Resolve(dir, test.at("ciphertext")));
    auto result = Decrypt(ciphertext, **keyring, OptionsFor(test));
    const json& expected = test.at("result");
    bool pass = false;
    if (expected.contains("output")) {
      const Bytes plaintext = ReadFileBytes(Resolve(dir, expected.at("output").at("plaintext")));
      pass =
          result.ok() && Bytes(result->plaintext.view().begin(), result->plaintext.view().end()) == plaintext;
    } else {
      pass = !result.ok() && result.status().message().find(failure) != std::string::npos;
    }
    EXPECT_TRUE(pass) << dir << " " << name << ": "
                      << (result.ok() ? "decrypted" : result.status().ToString());
    ++(pass ? tally.passed : tally.failed);
  }
  std::printf("[ esdk ] %s/%s: %d passed, %d failed, %d skipped\n", dir.c_str(), manifest_file.c_str(),
              tally.passed, tally.failed, tally.skipped);
  return tally;
}

TEST(EsdkVectorsTest, Python130Legacy) {
  const Tally t = RunManifest("esdk/python-1.3.0-legacy", "manifest.json");
  EXPECT_EQ(t.passed, 900);
}

TEST(EsdkVectorsTest, Net401) {
  const Tally t = RunManifest("esdk/net-4.0.1", "manifest.json");
  EXPECT_EQ(t.passed, 99);
}

TEST(EsdkVectorsTest, Net400Valid) {
  const Tally t = RunManifest("esdk/net-4.0.0-valid", "manifest.json");
  EXPECT_EQ(t.passed, 5);
}

// ESDK-NET 4.0.0 computed the header authentication over the wrong AAD /
// HKDF info; a conforming decryptor must reject its messages at exactly that
// check (the manifest's error-description), not anywhere else.
TEST(EsdkVectorsTest, Net400NonconformingFailHeaderAuthentication) {
  const Tally t =
      RunManifest("esdk/net-4.0.0-nonconforming", "manifest.conforming.json", "header authentication failed");
  EXPECT_EQ(t.passed, 28);
}

}  // namespace
}  // namespace coffer::envelope

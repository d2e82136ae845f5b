// KMS keyrings against a fake KMS: generator + extra keys, decrypt only
// with a configured key ARN, discovery with its partition/account filter.
#include "envelope/kms/kms_test_util.h"

namespace coffer::envelope {
namespace {

using testing::FakeKms;

constexpr char kKey1[] = "arn:aws:kms:us-east-1:111122223333:key/k1";
constexpr char kKey2[] = "arn:aws:kms:us-east-1:444455556666:key/k2";

struct Fixture {
  Fixture() {
    fake.aliases["alias/app"] = kKey1;
    t = testing::MakeTestClient();
    t.transport->handler = [this](const HttpCall& call) { return fake.Handle(call); };
  }
  std::unique_ptr<envelope::Keyring> Kms(std::vector<std::string> ids) {
    auto keyring = NewKmsKeyring(t.client, std::move(ids));
    EXPECT_TRUE(keyring.ok()) << keyring.status().ToString();
    return keyring.ok() ? std::move(keyring).value() : nullptr;
  }
  std::unique_ptr<envelope::Keyring> Discovery(std::optional<DiscoveryFilter> filter) {
    auto keyring = NewKmsDiscoveryKeyring(t.client, std::move(filter));
    EXPECT_TRUE(keyring.ok()) << keyring.status().ToString();
    return keyring.ok() ? std::move(keyring).value() : nullptr;
  }
  FakeKms fake;
  testing::TestClient t;
};

const Bytes kPlaintext(100, 3);
const EncryptionContext kContext = {{"tenant", "a"}};

TEST(KmsKeyringTest, GeneratorAndExtraKeyEachDecrypt) {
  Fixture f;
  auto message = Encrypt(kPlaintext, *f.Kms({"alias/app", kKey2}), kContext);
  ASSERT_TRUE(message.ok()) << message.status().ToString();
  EXPECT_EQ(f.fake.operations, (std::vector<std::string>{"GenerateDataKey", "Encrypt"}));
  for (const char* key : {kKey1, kKey2}) {
    auto result = Decrypt(*message, *f.Kms({key}));
    ASSERT_TRUE(result.ok()) << key << " " << result.status().ToString();
    EXPECT_EQ(Bytes(result->plaintext.view().begin(), result->plaintext.view().end()), kPlaintext);
  }
  // The alias is not a key ARN: it matches no EDK, and KMS is not asked.
  const std::size_t calls = f.t.transport->calls.size();
  EXPECT_EQ(Decrypt(*message, *f.Kms({"alias/app"})).status().code(), ErrorCode::kIncorrectKey);
  EXPECT_EQ(f.t.transport->calls.size(), calls);
}

TEST(KmsKeyringTest, EdkNamesTheAnsweredArnAndTheKmsProvider) {
  Fixture f;
  auto keyring = f.Kms({"alias/app"});
  EncryptionMaterials materials{SuiteId::kAes256GcmHkdfSha512CommitKey, kContext, {}, {}, nullptr};
  ASSERT_TRUE(keyring->OnEncrypt(materials).ok());
  ASSERT_EQ(materials.encrypted_data_keys.size(), 1u);
  EXPECT_EQ(materials.encrypted_data_keys[0].provider_id, "aws-kms");
  EXPECT_EQ(std::string(AsChars(materials.encrypted_data_keys[0].provider_info)), kKey1);
  EXPECT_EQ(materials.plaintext_data_key.size(), 32u);
}

TEST(KmsKeyringTest, WrongContextOrAnsweredKeyFails) {
  Fixture f;
  auto message = Encrypt(kPlaintext, *f.Kms({kKey1}), kContext);
  ASSERT_TRUE(message.ok());
  DecryptOptions options;
  options.reproduced_context = {{"extra", "pair"}};
  EXPECT_FALSE(Decrypt(*message, *f.Kms({kKey1}), options).ok());
  // KMS answering with another key than asked is refused.
  f.t.transport->handler = [](const HttpCall&) {
    return FakeKms::Ok({{"KeyId", kKey2}, {"Plaintext", Base64Encode(Bytes(32, 0x5a))}});
  };
  EXPECT_NE(Decrypt(*message, *f.Kms({kKey1})).status().message().find("another key"), std::string::npos);
}

TEST(KmsKeyringTest, NonArnAnswerIsRefusedOnEncrypt) {
  Fixture f;
  f.t.transport->handler = [](const HttpCall&) {
    return FakeKms::Ok(
        {{"KeyId", "alias/app"}, {"Plaintext", Base64Encode(Bytes(32, 1))}, {"CiphertextBlob", "AA=="}});
  };
  EXPECT_NE(Encrypt(kPlaintext, *f.Kms({"alias/app"}), {}).status().message().find("not a key ARN"),
            std::string::npos);
}

TEST(KmsKeyringTest, DiscoveryFiltersByPartitionAndAccount) {
  Fixture f;
  auto message = Encrypt(kPlaintext, *f.Kms({kKey1, kKey2}), kContext);
  ASSERT_TRUE(message.ok());
  EXPECT_TRUE(Decrypt(*message, *f.Discovery(std::nullopt)).ok());
  EXPECT_TRUE(Decrypt(*message, *f.Discovery(DiscoveryFilter{"aws", {"444455556666"}})).ok());
  const std::size_t calls = f.t.transport->calls.size();
  EXPECT_EQ(Decrypt(*message, *f.Discovery(DiscoveryFilter{"aws", {"999999999999"}})).status().code(),
            ErrorCode::kIncorrectKey);
  EXPECT_EQ(Decrypt(*message, *f.Discovery(DiscoveryFilter{"aws-cn", {"111122223333"}})).status().code(),
            ErrorCode::kIncorrectKey);
  EXPECT_EQ(f.t.transport->calls.size(), calls);
  EXPECT_FALSE(f.Discovery(std::nullopt)->OnEncrypt(*std::make_unique<EncryptionMaterials>()).ok());
}

TEST(KmsKeyringTest, FactoriesRejectBadArguments) {
  Fixture f;
  EXPECT_FALSE(NewKmsKeyring(nullptr, {kKey1}).ok());
  EXPECT_FALSE(NewKmsKeyring(f.t.client, {}).ok());
  EXPECT_FALSE(NewKmsKeyring(f.t.client, {""}).ok());
  EXPECT_FALSE(NewKmsDiscoveryKeyring(nullptr, std::nullopt).ok());
  EXPECT_FALSE(NewKmsDiscoveryKeyring(f.t.client, DiscoveryFilter{"", {"1"}}).ok());
  EXPECT_FALSE(NewKmsDiscoveryKeyring(f.t.client, DiscoveryFilter{"aws", {}}).ok());
}

}  // namespace
}  // namespace coffer::envelope

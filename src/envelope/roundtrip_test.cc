// Encrypt then decrypt: every suite, framed and non-framed, at the sizes
// around a frame boundary; keyrings and policies; and every single-byte
// change, truncation or extension of a message fails to decrypt.
#include <cstdio>

#include "envelope/suite.h"
#include "envelope/test_util.h"

namespace coffer::envelope {
namespace {

using testing::LoadJson;
using testing::OracleFile;
using testing::TestAesKeyring;

constexpr std::uint32_t kFrame = 64;

Bytes Pattern(std::size_t n) {
  Bytes out(n);
  for (std::size_t i = 0; i < n; ++i) out[i] = static_cast<std::uint8_t>(i * 7 + 3);
  return out;
}

Bytes ToVector(const SecretBytes& s) { return {s.view().begin(), s.view().end()}; }

EncryptOptions OptionsFor(SuiteId suite, std::uint32_t frame_length) {
  EncryptOptions options;
  options.suite = suite;
  options.frame_length = frame_length;
  options.commitment_policy = GetSuite(suite).committing ? CommitmentPolicy::kRequireEncryptRequireDecrypt
                                                         : CommitmentPolicy::kForbidEncryptAllowDecrypt;
  return options;
}

DecryptOptions AllowAll() {
  DecryptOptions options;
  options.commitment_policy = CommitmentPolicy::kRequireEncryptAllowDecrypt;
  return options;
}

const EncryptionContext kContext = {{"purpose", "test"}, {"\xc3\xa9t\xc3\xa9", "non-ascii"}};

TEST(RoundTripTest, EverySuiteFramedAndNonFramedAtFrameBoundaries) {
  auto keyring = TestAesKeyring();
  int count = 0;
  for (SuiteId suite : AllSuites()) {
    for (std::uint32_t frame : {kFrame, 0u}) {
      for (std::size_t size : {std::size_t{0}, std::size_t{1}, std::size_t{kFrame - 1}, std::size_t{kFrame},
                               std::size_t{kFrame + 1}, std::size_t{3 * kFrame + 5}}) {
        const Bytes plaintext = Pattern(size);
        auto message = Encrypt(plaintext, *keyring, kContext, OptionsFor(suite, frame));
        ASSERT_TRUE(message.ok()) << message.status().ToString();
        auto result = Decrypt(*message, *keyring, AllowAll());
        ASSERT_TRUE(result.ok()) << static_cast<int>(suite) << " " << frame << " " << size << " "
                                 << result.status().ToString();
        EXPECT_EQ(ToVector(result->plaintext), plaintext);
        EXPECT_EQ(result->suite, suite);
        EXPECT_EQ(result->context.at("purpose"), "test");
        EXPECT_EQ(result->context.contains(std::string(kPublicKeyContextKey)),
                  GetSuite(suite).signature_curve.has_value());
        ++count;
      }
    }
  }
  std::printf("[ round trip ] %d messages\n", count);
  EXPECT_EQ(count, 11 * 2 * 6);
}

TEST(RoundTripTest, DefaultsAreTheCommittingSignedSuiteWith4096ByteFrames) {
  auto keyring = TestAesKeyring();
  auto message = Encrypt(Pattern(5000), *keyring, {});
  ASSERT_TRUE(message.ok());
  EXPECT_EQ((*message)[0], 2);
  EXPECT_EQ((*message)[1], 0x05);
  EXPECT_EQ((*message)[2], 0x78);
  auto result = Decrypt(*message, *keyring);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(ToVector(result->plaintext), Pattern(5000));
}

std::shared_ptr<Keyring> TestRsaKeyring(RsaPaddingScheme padding) {
  const auto keys = LoadJson(OracleFile("esdk/net-4.0.1/keys.json"));
  auto keyring =
      NewRawRsaKeyring("coffer-test", "rsa-key",
                       keys.at("keys").at("rsa-4096-private").at("material").get<std::string>(), padding);
  EXPECT_TRUE(keyring.ok()) << keyring.status().ToString();
  return keyring.ok() ? std::shared_ptr<Keyring>(std::move(keyring).value()) : nullptr;
}

TEST(RoundTripTest, MultiKeyringMessageDecryptsWithEachMember) {
  std::shared_ptr<Keyring> aes = TestAesKeyring();
  std::shared_ptr<Keyring> rsa = TestRsaKeyring(RsaPaddingScheme::kOaepSha256);
  auto multi = NewMultiKeyring(aes, {rsa});
  ASSERT_TRUE(multi.ok());
  auto message = Encrypt(Pattern(100), **multi, kContext);
  ASSERT_TRUE(message.ok()) << message.status().ToString();
  for (Keyring* keyring : {static_cast<Keyring*>(multi->get()), aes.get(), rsa.get()}) {
    auto result = Decrypt(*message, *keyring);
    ASSERT_TRUE(result.ok()) << result.status().ToString();
    EXPECT_EQ(ToVector(result->plaintext), Pattern(100));
  }
  DecryptOptions one_edk;
  one_edk.max_encrypted_data_keys = 1;
  EXPECT_EQ(Decrypt(*message, *aes, one_edk).status().code(), ErrorCode::kLimitExceeded);
  EncryptOptions encrypt_one_edk;
  encrypt_one_edk.max_encrypted_data_keys = 1;
  EXPECT_EQ(Encrypt(Pattern(1), **multi, {}, encrypt_one_edk).status().code(), ErrorCode::kLimitExceeded);
}

TEST(RoundTripTest, EveryRsaPadding) {
  for (RsaPaddingScheme padding :
       {RsaPaddingScheme::kPkcs1, RsaPaddingScheme::kOaepSha1, RsaPaddingScheme::kOaepSha256,
        RsaPaddingScheme::kOaepSha384, RsaPaddingScheme::kOaepSha512}) {
    auto keyring = TestRsaKeyring(padding);
    ASSERT_NE(keyring, nullptr);
    auto message = Encrypt(Pattern(10), *keyring, {});
    ASSERT_TRUE(message.ok()) << message.status().ToString();
    auto result = Decrypt(*message, *keyring);
    ASSERT_TRUE(result.ok()) << result.status().ToString();
    EXPECT_EQ(ToVector(result->plaintext), Pattern(10));
  }
}

TEST(RoundTripTest, WrongKeyFails) {
  auto message = Encrypt(Pattern(10), *TestAesKeyring(1), {});
  ASSERT_TRUE(message.ok());
  EXPECT_EQ(Decrypt(*message, *TestAesKeyring(2)).status().code(), ErrorCode::kIncorrectKey);
}

// Every byte flipped, every truncation and one extra byte: all must fail.
void ExpectEveryCorruptionFails(SuiteId suite, std::uint32_t frame_length) {
  auto keyring = TestAesKeyring();
  auto message = Encrypt(Pattern(2 * 16 + 5), *keyring, kContext, OptionsFor(suite, frame_length));
  ASSERT_TRUE(message.ok());
  ASSERT_TRUE(Decrypt(*message, *keyring, AllowAll()).ok());
  int rejected = 0;
  for (std::size_t i = 0; i < message->size(); ++i) {
    Bytes bad = *message;
    bad[i] ^= 0x01;
    const bool failed = !Decrypt(bad, *keyring, AllowAll()).ok();
    EXPECT_TRUE(failed) << "flip at " << i << " of suite " << static_cast<int>(suite);
    rejected += failed ? 1 : 0;
    EXPECT_FALSE(Decrypt(ByteView(*message).first(i), *keyring, AllowAll()).ok()) << "truncated to " << i;
  }
  Bytes longer = *message;
  longer.push_back(0);
  EXPECT_FALSE(Decrypt(longer, *keyring, AllowAll()).ok());
  EXPECT_EQ(rejected, static_cast<int>(message->size()));
}

TEST(CorruptionTest, V2SignedFramed) {
  ExpectEveryCorruptionFails(SuiteId::kAes256GcmHkdfSha512CommitKeyEcdsaP384, 16);
}
TEST(CorruptionTest, V2UnsignedNonFramed) {
  ExpectEveryCorruptionFails(SuiteId::kAes256GcmHkdfSha512CommitKey, 0);
}
TEST(CorruptionTest, V1SignedFramed) {
  ExpectEveryCorruptionFails(SuiteId::kAes128GcmIv12Tag16HkdfSha256EcdsaP256, 16);
}
TEST(CorruptionTest, V1UnsignedNoKdfNonFramed) {
  ExpectEveryCorruptionFails(SuiteId::kAes128GcmIv12Tag16NoKdf, 0);
}

}  // namespace
}  // namespace coffer::envelope

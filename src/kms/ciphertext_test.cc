// The symmetric ciphertext blob: what it binds (header, encryption context,
// backing key) and how it fails (always kInvalidCiphertext, never a crash).
#include "kms/ciphertext.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>

#include "crypto/crypto.h"
#include "kms/kms_test_util.h"

namespace coffer::kms {
namespace {

// A repeatable RandomSource: a counter through a small mixing function, so
// two fakes with the same seed hand out the same bytes.
class SeededRandom final : public RandomSource {
 public:
  explicit SeededRandom(std::uint64_t seed) : state_(seed) {}
  Status Fill(std::span<std::uint8_t> out) override {
    for (auto& byte : out) {
      state_ = state_ * 6364136223846793005ULL + 1442695040888963407ULL;
      byte = static_cast<std::uint8_t>(state_ >> 56);
    }
    return Status::Ok();
  }

 private:
  std::uint64_t state_;
};

class FailingRandom final : public RandomSource {
 public:
  Status Fill(std::span<std::uint8_t>) override { return InternalError("entropy source failed"); }
};

constexpr std::string_view kPlaintext = "attack at dawn";

CiphertextHeader TestHeader() {
  return CiphertextHeader{"111122223333", "1234abcd-12ab-34cd-56ef-1234567890ab", Bytes(kVersionIdLen, 0x5a)};
}

SecretBytes BackingKey(std::uint8_t fill) { return SecretBytes(Bytes(32, fill)); }

const EncryptionContext kContext = {{"purpose", "test"}, {"tenant", "42"}};

// Length of everything before the ciphertext, by the layout in ciphertext.h.
std::size_t PrefixLen(const CiphertextHeader& h) {
  return 1 + 1 + h.account.size() + 1 + h.key_id.size() + kVersionIdLen + kSaltLen + crypto::kGcmIvLen;
}

class CiphertextTest : public ::testing::Test {
 protected:
  Bytes Seal(ByteView plaintext, const EncryptionContext& context = kContext) {
    auto blob = SealCiphertext(TestHeader(), key_, context, plaintext, random_);
    EXPECT_TRUE(blob.ok()) << blob.status().ToString();
    return blob.ok() ? *blob : Bytes();
  }

  SecretBytes key_ = BackingKey(0x11);
  SeededRandom random_{7};
};

TEST_F(CiphertextTest, RoundTripsWithRepeatableRandom) {
  const Bytes blob = Seal(AsBytes(kPlaintext));
  auto opened = OpenCiphertext(blob, key_, kContext);
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  EXPECT_EQ(AsChars(opened->view()), kPlaintext);
}

TEST_F(CiphertextTest, RoundTripsWithOsRandom) {
  crypto::OsRandom os_random;
  auto blob = SealCiphertext(TestHeader(), key_, kContext, AsBytes(kPlaintext), os_random);
  ASSERT_TRUE(blob.ok()) << blob.status().ToString();
  auto opened = OpenCiphertext(*blob, key_, kContext);
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  EXPECT_EQ(AsChars(opened->view()), kPlaintext);
}

TEST_F(CiphertextTest, RoundTripsEmptyPlaintextAndEmptyContext) {
  const Bytes blob = Seal({}, {});
  auto opened = OpenCiphertext(blob, key_, {});
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  EXPECT_TRUE(opened->empty());
}

TEST_F(CiphertextTest, LayoutFollowsTheDocumentedFormat) {
  const CiphertextHeader header = TestHeader();
  const Bytes blob = Seal(AsBytes(kPlaintext));
  ASSERT_EQ(blob.size(), PrefixLen(header) + kPlaintext.size() + crypto::kGcmTagLen);
  EXPECT_EQ(blob[0], kCiphertextFormat);
  EXPECT_EQ(blob[1], header.account.size());
  EXPECT_EQ(AsChars(ByteView(blob).subspan(2, header.account.size())), header.account);
  const std::size_t key_id_at = 2 + header.account.size();
  EXPECT_EQ(blob[key_id_at], header.key_id.size());
  EXPECT_EQ(AsChars(ByteView(blob).subspan(key_id_at + 1, header.key_id.size())), header.key_id);
  // The plaintext is not carried in the clear.
  EXPECT_EQ(std::string(AsChars(blob)).find(kPlaintext), std::string::npos);
}

TEST_F(CiphertextTest, SameSeedSealsIdenticallyAndOsRandomNeverRepeats) {
  SeededRandom a(99), b(99);
  auto blob_a = SealCiphertext(TestHeader(), key_, kContext, AsBytes(kPlaintext), a);
  auto blob_b = SealCiphertext(TestHeader(), key_, kContext, AsBytes(kPlaintext), b);
  ASSERT_TRUE(blob_a.ok() && blob_b.ok());
  EXPECT_EQ(*blob_a, *blob_b);

  crypto::OsRandom os_random;
  auto first = SealCiphertext(TestHeader(), key_, kContext, AsBytes(kPlaintext), os_random);
  auto second = SealCiphertext(TestHeader(), key_, kContext, AsBytes(kPlaintext), os_random);
  ASSERT_TRUE(first.ok() && second.ok());
  EXPECT_NE(*first, *second);  // fresh salt and IV per message
}

TEST_F(CiphertextTest, HeaderRoundTrips) {
  const CiphertextHeader header = TestHeader();
  auto parsed = ParseCiphertextHeader(Seal(AsBytes(kPlaintext)));
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(parsed->account, header.account);
  EXPECT_EQ(parsed->key_id, header.key_id);
  EXPECT_EQ(parsed->version_id, header.version_id);
}

TEST_F(CiphertextTest, HeaderFieldsOfMaximumLengthRoundTrip) {
  const CiphertextHeader header{std::string(255, '1'), std::string(255, 'k'), Bytes(kVersionIdLen, 0xff)};
  auto blob = SealCiphertext(header, key_, kContext, AsBytes(kPlaintext), random_);
  ASSERT_TRUE(blob.ok()) << blob.status().ToString();
  auto parsed = ParseCiphertextHeader(*blob);
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->account, header.account);
  EXPECT_EQ(parsed->key_id, header.key_id);
  EXPECT_TRUE(OpenCiphertext(*blob, key_, kContext).ok());
}

TEST_F(CiphertextTest, SealRefusesHeadersTheFormatCannotCarry) {
  CiphertextHeader empty_account = TestHeader();
  empty_account.account.clear();
  CiphertextHeader long_account = TestHeader();
  long_account.account = std::string(256, '1');
  CiphertextHeader empty_key_id = TestHeader();
  empty_key_id.key_id.clear();
  CiphertextHeader long_key_id = TestHeader();
  long_key_id.key_id = std::string(256, 'k');
  CiphertextHeader short_version = TestHeader();
  short_version.version_id.pop_back();
  for (const CiphertextHeader& bad :
       {empty_account, long_account, empty_key_id, long_key_id, short_version}) {
    auto blob = SealCiphertext(bad, key_, kContext, AsBytes(kPlaintext), random_);
    ASSERT_FALSE(blob.ok());
    EXPECT_EQ(blob.status().code(), ErrorCode::kInternal);
  }
}

TEST_F(CiphertextTest, SealReportsAFailingRandomSource) {
  FailingRandom failing;
  auto blob = SealCiphertext(TestHeader(), key_, kContext, AsBytes(kPlaintext), failing);
  ASSERT_FALSE(blob.ok());
  EXPECT_EQ(blob.status().code(), ErrorCode::kInternal);
}

TEST_F(CiphertextTest, OpenRequiresTheExactEncryptionContext) {
  const Bytes blob = Seal(AsBytes(kPlaintext));
  EncryptionContext different_value = kContext;
  different_value["tenant"] = "43";
  EncryptionContext missing_pair = kContext;
  missing_pair.erase("tenant");
  EncryptionContext extra_pair = kContext;
  extra_pair["extra"] = "x";
  EncryptionContext renamed_key = {{"purpose", "test"}, {"tenant2", "42"}};
  for (const EncryptionContext& wrong :
       {different_value, missing_pair, extra_pair, renamed_key, EncryptionContext{}}) {
    auto opened = OpenCiphertext(blob, key_, wrong);
    ASSERT_FALSE(opened.ok());
    EXPECT_EQ(opened.status().code(), ErrorCode::kInvalidCiphertext);
  }
}

TEST_F(CiphertextTest, OpenWithoutContextRefusesABlobSealedWithOne) {
  const Bytes with_context = Seal(AsBytes(kPlaintext), kContext);
  EXPECT_EQ(OpenCiphertext(with_context, key_, {}).status().code(), ErrorCode::kInvalidCiphertext);
  const Bytes without_context = Seal(AsBytes(kPlaintext), {});
  EXPECT_EQ(OpenCiphertext(without_context, key_, kContext).status().code(), ErrorCode::kInvalidCiphertext);
}

TEST_F(CiphertextTest, OpenWithAnotherBackingKeyFails) {
  const Bytes blob = Seal(AsBytes(kPlaintext));
  auto opened = OpenCiphertext(blob, BackingKey(0x12), kContext);
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.status().code(), ErrorCode::kInvalidCiphertext);
}

TEST_F(CiphertextTest, FlippingAnySingleByteIsDetected) {
  const Bytes blob = Seal(AsBytes(kPlaintext));
  for (std::uint8_t mask : {std::uint8_t{0x01}, std::uint8_t{0x80}, std::uint8_t{0xff}}) {
    for (std::size_t i = 0; i < blob.size(); ++i) {
      Bytes tampered = blob;
      tampered[i] ^= mask;
      auto header = ParseCiphertextHeader(tampered);
      if (!header.ok()) {
        EXPECT_EQ(header.status().code(), ErrorCode::kInvalidCiphertext) << "byte " << i;
      }
      auto opened = OpenCiphertext(tampered, key_, kContext);
      ASSERT_FALSE(opened.ok()) << "byte " << i << " mask " << int{mask} << " went unnoticed";
      EXPECT_EQ(opened.status().code(), ErrorCode::kInvalidCiphertext) << "byte " << i;
    }
  }
}

TEST_F(CiphertextTest, EveryTruncationIsRejected) {
  const Bytes blob = Seal(AsBytes(kPlaintext));
  for (std::size_t len = 0; len < blob.size(); ++len) {
    const ByteView truncated(blob.data(), len);
    auto header = ParseCiphertextHeader(truncated);
    if (!header.ok()) {
      EXPECT_EQ(header.status().code(), ErrorCode::kInvalidCiphertext) << "length " << len;
    }
    auto opened = OpenCiphertext(truncated, key_, kContext);
    ASSERT_FALSE(opened.ok()) << "length " << len;
    EXPECT_EQ(opened.status().code(), ErrorCode::kInvalidCiphertext) << "length " << len;
  }
}

TEST_F(CiphertextTest, HeaderParseNeedsRoomForTheTag) {
  const Bytes blob = Seal({}, kContext);  // empty ciphertext: prefix + tag only
  const std::size_t prefix = PrefixLen(TestHeader());
  ASSERT_EQ(blob.size(), prefix + crypto::kGcmTagLen);
  EXPECT_TRUE(ParseCiphertextHeader(blob).ok());
  EXPECT_EQ(ParseCiphertextHeader(ByteView(blob).first(blob.size() - 1)).status().code(),
            ErrorCode::kInvalidCiphertext);
}

TEST_F(CiphertextTest, AppendedBytesAreRejected) {
  Bytes blob = Seal(AsBytes(kPlaintext));
  blob.push_back(0);
  EXPECT_EQ(OpenCiphertext(blob, key_, kContext).status().code(), ErrorCode::kInvalidCiphertext);
}

TEST_F(CiphertextTest, UnknownFormatByteIsRejected) {
  Bytes blob = Seal(AsBytes(kPlaintext));
  blob[0] = kCiphertextFormat + 1;
  EXPECT_EQ(ParseCiphertextHeader(blob).status().code(), ErrorCode::kInvalidCiphertext);
}

TEST_F(CiphertextTest, EmptyAccountOrKeyIdFieldIsRejected) {
  // Hand-built headers: format, then a zero-length field, then enough bytes
  // for every later field so only the emptiness check can reject them.
  Bytes empty_account = {kCiphertextFormat, 0, 3, 'k', 'e', 'y'};
  Bytes empty_key_id = {kCiphertextFormat, 3, '1', '2', '3', 0};
  for (Bytes* blob : {&empty_account, &empty_key_id}) {
    blob->resize(blob->size() + kVersionIdLen + kSaltLen + crypto::kGcmIvLen + crypto::kGcmTagLen + 4, 0);
    EXPECT_EQ(ParseCiphertextHeader(*blob).status().code(), ErrorCode::kInvalidCiphertext);
  }
  Bytes control = {kCiphertextFormat, 3, '1', '2', '3', 3, 'k', 'e', 'y'};
  control.resize(control.size() + kVersionIdLen + kSaltLen + crypto::kGcmIvLen + crypto::kGcmTagLen + 4, 0);
  EXPECT_TRUE(ParseCiphertextHeader(control).ok());
}

TEST(CanonicalEncryptionContextTest, IsIndependentOfInsertionOrder) {
  EncryptionContext forward, backward;
  forward.emplace("alpha", "1");
  forward.emplace("beta", "2");
  forward.emplace("gamma", "3");
  backward.emplace("gamma", "3");
  backward.emplace("beta", "2");
  backward.emplace("alpha", "1");
  EXPECT_EQ(CanonicalEncryptionContext(forward), CanonicalEncryptionContext(backward));
}

TEST(CanonicalEncryptionContextTest, IsUnambiguous) {
  auto encode = [](const EncryptionContext& c) { return CanonicalEncryptionContext(c); };
  EXPECT_NE(encode({{"a", "bc"}}), encode({{"ab", "c"}}));
  EXPECT_NE(encode({}), encode({{"", ""}}));
  EXPECT_NE(encode({{"a", ""}, {"b", ""}}), encode({{"a", "b"}}));
  EXPECT_NE(encode({{"k", "v"}}), encode({{"v", "k"}}));
}

TEST(CanonicalEncryptionContextTest, MatchesTheDocumentedEncoding) {
  // u16 count, then per pair u16 length + key, u16 length + value.
  const Bytes expected = {0, 1, 0, 1, 'a', 0, 2, 'b', 'c'};
  EXPECT_EQ(CanonicalEncryptionContext({{"a", "bc"}}), expected);
  EXPECT_EQ(CanonicalEncryptionContext({}), (Bytes{0, 0}));
}

TEST(CanonicalEncryptionContextTest, BindsThroughTheCiphertext) {
  // The ambiguity the encoding avoids would let one context open the other's blob.
  SeededRandom random(3);
  const SecretBytes key = BackingKey(0x33);
  auto blob = SealCiphertext(TestHeader(), key, {{"a", "bc"}}, AsBytes(kPlaintext), random);
  ASSERT_TRUE(blob.ok());
  EXPECT_EQ(OpenCiphertext(*blob, key, {{"ab", "c"}}).status().code(), ErrorCode::kInvalidCiphertext);
}

}  // namespace
}  // namespace coffer::kms

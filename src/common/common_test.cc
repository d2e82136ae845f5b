// Text encodings (RFC 4648 Base64 and hex, RFC 4122 UUIDs) and SecretBytes.
#include <gtest/gtest.h>

#include <optional>
#include <string>

#include "common/encoding.h"
#include "common/secret_bytes.h"
#include "common/status.h"

namespace coffer {
namespace {

std::optional<std::string> Base64DecodeToString(std::string_view text) {
  auto bytes = Base64Decode(text);
  if (!bytes) {
    return std::nullopt;
  }
  return std::string(AsChars(*bytes));
}

// RFC 4648 section 10.
TEST(Base64Test, EncodesRfc4648TestVectors) {
  EXPECT_EQ(Base64Encode(ToBytes("")), "");
  EXPECT_EQ(Base64Encode(ToBytes("f")), "Zg==");
  EXPECT_EQ(Base64Encode(ToBytes("fo")), "Zm8=");
  EXPECT_EQ(Base64Encode(ToBytes("foo")), "Zm9v");
  EXPECT_EQ(Base64Encode(ToBytes("foob")), "Zm9vYg==");
  EXPECT_EQ(Base64Encode(ToBytes("fooba")), "Zm9vYmE=");
  EXPECT_EQ(Base64Encode(ToBytes("foobar")), "Zm9vYmFy");
}

TEST(Base64Test, DecodesRfc4648TestVectors) {
  EXPECT_EQ(Base64DecodeToString(""), "");
  EXPECT_EQ(Base64DecodeToString("Zg=="), "f");
  EXPECT_EQ(Base64DecodeToString("Zm8="), "fo");
  EXPECT_EQ(Base64DecodeToString("Zm9v"), "foo");
  EXPECT_EQ(Base64DecodeToString("Zm9vYg=="), "foob");
  EXPECT_EQ(Base64DecodeToString("Zm9vYmE="), "fooba");
  EXPECT_EQ(Base64DecodeToString("Zm9vYmFy"), "foobar");
}

TEST(Base64Test, UsesTheStandardAlphabetIncludingPlusAndSlash) {
  const Bytes bytes = {0xfb, 0xff, 0xbf};
  EXPECT_EQ(Base64Encode(bytes), "+/+/");
  EXPECT_EQ(Base64Decode("+/+/"), bytes);
}

TEST(Base64Test, RoundTripsEveryByteValueAndLength) {
  Bytes all(256);
  for (std::size_t i = 0; i < all.size(); ++i) {
    all[i] = static_cast<std::uint8_t>(i);
  }
  for (std::size_t len = 0; len <= all.size(); ++len) {
    const ByteView data(all.data(), len);
    const std::string text = Base64Encode(data);
    EXPECT_EQ(text.size() % 4, 0u);
    EXPECT_EQ(Base64Decode(text), Bytes(data.begin(), data.end())) << len;
  }
}

TEST(Base64Test, RejectsCharactersOutsideTheAlphabet) {
  EXPECT_EQ(Base64Decode("Zm9v!mFy"), std::nullopt);
  EXPECT_EQ(Base64Decode("Zm9v YmFy"), std::nullopt);
  EXPECT_EQ(Base64Decode("Zm9v\nYmFy"), std::nullopt);
  EXPECT_EQ(Base64Decode("-_-_"), std::nullopt);  // base64url is a different alphabet
  EXPECT_EQ(Base64Decode(std::string_view("Zm9\0", 4)), std::nullopt);
  EXPECT_EQ(Base64Decode("Zm9\xff"), std::nullopt);
}

TEST(Base64Test, RejectsLengthsThatAreNotAMultipleOfFour) {
  EXPECT_EQ(Base64Decode("Z"), std::nullopt);
  EXPECT_EQ(Base64Decode("Zg"), std::nullopt);  // unpadded
  EXPECT_EQ(Base64Decode("Zg="), std::nullopt);
  EXPECT_EQ(Base64Decode("Zm9vY"), std::nullopt);
}

TEST(Base64Test, RejectsMisplacedPadding) {
  EXPECT_EQ(Base64Decode("===="), std::nullopt);
  EXPECT_EQ(Base64Decode("Z==="), std::nullopt);      // at most two pad characters
  EXPECT_EQ(Base64Decode("Zg=a"), std::nullopt);      // data after padding
  EXPECT_EQ(Base64Decode("Zg==Zm9v"), std::nullopt);  // padding before the last quantum
  EXPECT_EQ(Base64Decode("Zm9v=mFy"), std::nullopt);
  EXPECT_EQ(Base64Decode("Zg==="), std::nullopt);
}

TEST(HexTest, EncodesLowerCase) {
  EXPECT_EQ(HexEncode(Bytes{}), "");
  EXPECT_EQ(HexEncode(Bytes{0x00, 0x01, 0xab, 0xff}), "0001abff");
}

TEST(HexTest, DecodesEitherCase) {
  EXPECT_EQ(HexDecode("0001abff"), (Bytes{0x00, 0x01, 0xab, 0xff}));
  EXPECT_EQ(HexDecode("ABFF"), (Bytes{0xab, 0xff}));
  EXPECT_EQ(HexDecode(""), Bytes{});
}

TEST(HexTest, RejectsOddLengthAndNonHexDigits) {
  EXPECT_EQ(HexDecode("abc"), std::nullopt);
  EXPECT_EQ(HexDecode("0g"), std::nullopt);
  EXPECT_EQ(HexDecode("0x12"), std::nullopt);
  EXPECT_EQ(HexDecode(" 1"), std::nullopt);
}

TEST(FormatUuidTest, LaysOutSixteenBytesAsEightFourFourFourTwelve) {
  const Bytes zeros(16, 0);
  EXPECT_EQ(FormatUuid(zeros), "00000000-0000-4000-8000-000000000000");
}

TEST(FormatUuidTest, ForcesVersion4AndTheRfc4122Variant) {
  const Bytes ones(16, 0xff);
  const std::string uuid = FormatUuid(ones);
  EXPECT_EQ(uuid, "ffffffff-ffff-4fff-bfff-ffffffffffff");
  EXPECT_EQ(uuid[14], '4');  // version nibble
}

TEST(FormatUuidTest, KeepsTheRandomBitsItDoesNotOverwrite) {
  Bytes bytes(16);
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    bytes[i] = static_cast<std::uint8_t>(0x10 * (i % 16) + i);
  }
  const std::string uuid = FormatUuid(bytes);
  ASSERT_EQ(uuid.size(), 36u);
  EXPECT_EQ(uuid, "00112233-4455-4677-8899-aabbccddeeff");
  for (std::size_t dash : {8u, 13u, 18u, 23u}) {
    EXPECT_EQ(uuid[dash], '-');
  }
  const char variant = uuid[19];
  EXPECT_TRUE(variant == '8' || variant == '9' || variant == 'a' || variant == 'b') << variant;
}

TEST(SecretBytesTest, HoldsACopyOfTheGivenBytes) {
  const Bytes key = {1, 2, 3};
  SecretBytes secret(key);
  EXPECT_EQ(secret.size(), 3u);
  EXPECT_EQ(Bytes(secret.view().begin(), secret.view().end()), key);
}

TEST(SecretBytesTest, WipeLeavesItEmpty) {
  SecretBytes secret(Bytes{1, 2, 3});
  secret.Wipe();
  EXPECT_TRUE(secret.empty());
  EXPECT_EQ(secret.size(), 0u);
}

TEST(SecretBytesTest, MoveConstructionLeavesTheSourceEmpty) {
  SecretBytes source(Bytes{1, 2, 3});
  SecretBytes moved(std::move(source));
  EXPECT_TRUE(source.empty());  // NOLINT(bugprone-use-after-move): that is the contract
  EXPECT_EQ(moved.size(), 3u);
}

TEST(SecretBytesTest, MoveAssignmentLeavesTheSourceEmptyAndReplacesTheTarget) {
  SecretBytes source(Bytes{1, 2, 3});
  SecretBytes target(Bytes{9, 9});
  target = std::move(source);
  EXPECT_TRUE(source.empty());  // NOLINT(bugprone-use-after-move)
  EXPECT_EQ(Bytes(target.view().begin(), target.view().end()), (Bytes{1, 2, 3}));
}

TEST(SecretBytesTest, CloneIsAnIndependentCopy) {
  SecretBytes original(Bytes{1, 2, 3});
  SecretBytes copy = original.Clone();
  copy.data()[0] = 7;
  EXPECT_EQ(original.data()[0], 1);
  EXPECT_EQ(copy.size(), 3u);
}

TEST(SecretBytesTest, ResizeKeepsThePrefix) {
  SecretBytes secret(Bytes{1, 2, 3});
  secret.resize(100);
  EXPECT_EQ(secret.size(), 100u);
  EXPECT_EQ(secret.data()[2], 3);
  secret.resize(2);
  EXPECT_EQ(Bytes(secret.view().begin(), secret.view().end()), (Bytes{1, 2}));
}

TEST(SecureWipeTest, ZeroesTheBuffer) {
  Bytes buffer = {1, 2, 3, 4};
  SecureWipe(buffer.data(), buffer.size());
  EXPECT_EQ(buffer, (Bytes{0, 0, 0, 0}));
}

TEST(ConstantTimeEqualsTest, ComparesContentAndLength) {
  EXPECT_TRUE(ConstantTimeEquals(ToBytes("abc"), ToBytes("abc")));
  EXPECT_TRUE(ConstantTimeEquals(Bytes{}, Bytes{}));
  EXPECT_FALSE(ConstantTimeEquals(ToBytes("abc"), ToBytes("abd")));
  EXPECT_FALSE(ConstantTimeEquals(ToBytes("abc"), ToBytes("ab")));
}

}  // namespace
}  // namespace coffer

namespace coffer {
TEST(StatusTest, NamedKeepsTheCodeAndChangesOnlyTheWireName) {
  const Status plain(ErrorCode::kNotFound, "Secrets Manager can't find the specified secret.");
  EXPECT_EQ(WireName(plain), "NotFoundException");
  const Status named = Status(ErrorCode::kNotFound, "Secrets Manager can't find the specified secret.")
                           .Named("ResourceNotFoundException");
  EXPECT_EQ(named.code(), ErrorCode::kNotFound);
  EXPECT_EQ(WireName(named), "ResourceNotFoundException");
  EXPECT_EQ(named.ToString(), "ResourceNotFoundException: Secrets Manager can't find the specified secret.");
  const Status copy = named;  // NOLINT(performance-unnecessary-copy-initialization)
  EXPECT_EQ(copy.type(), "ResourceNotFoundException");
}
}  // namespace coffer

#include "s3/checksum_combine.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <random>

#include "common/encoding.h"
#include "s3/records.h"

namespace coffer::s3 {
namespace {

using crypto::ChecksumAlgorithm;

std::string RandomBytes(std::mt19937_64& rng, std::size_t n) {
  std::string out(n, '\0');
  for (char& c : out) c = static_cast<char>(rng() & 0xFF);
  return out;
}

// Cuts `data` at `cuts` random places (possibly empty pieces).
std::vector<std::string> Split(std::mt19937_64& rng, const std::string& data, int cuts) {
  std::vector<std::size_t> at{0, data.size()};
  for (int i = 0; i < cuts; ++i) at.push_back(rng() % (data.size() + 1));
  std::sort(at.begin(), at.end());
  std::vector<std::string> pieces;
  for (std::size_t i = 1; i < at.size(); ++i) pieces.push_back(data.substr(at[i - 1], at[i] - at[i - 1]));
  return pieces;
}

std::string BigEndianBase64(std::uint64_t v, std::size_t len) {
  Bytes raw(len);
  for (std::size_t i = 0; i < len; ++i) raw[len - 1 - i] = static_cast<std::uint8_t>(v >> (8 * i));
  return Base64Encode(raw);
}

TEST(CrcCombine, CheckValuesOfTheThreeCrcs) {
  EXPECT_EQ(crypto::Crc32(0, "123456789"), 0xCBF43926U);
  EXPECT_EQ(crypto::Crc32c(0, "123456789"), 0xE3069283U);
  EXPECT_EQ(crypto::Crc64Nvme(0, "123456789"), 0xAE8B14860A799888ULL);
}

TEST(CrcCombine, EqualsTheCrcOfTheConcatenationForRandomSplits) {
  std::mt19937_64 rng(1234);
  for (int round = 0; round < 300; ++round) {
    const std::string data = RandomBytes(rng, rng() % 5000);
    const auto pieces = Split(rng, data, static_cast<int>(rng() % 8));
    std::uint32_t c32 = 0;
    std::uint32_t c32c = 0;
    std::uint64_t c64 = 0;
    for (const auto& p : pieces) {
      c32 = Crc32Combine(c32, crypto::Crc32(0, p), p.size());
      c32c = Crc32cCombine(c32c, crypto::Crc32c(0, p), p.size());
      c64 = Crc64NvmeCombine(c64, crypto::Crc64Nvme(0, p), p.size());
    }
    ASSERT_EQ(c32, crypto::Crc32(0, data)) << "round " << round;
    ASSERT_EQ(c32c, crypto::Crc32c(0, data)) << "round " << round;
    ASSERT_EQ(c64, crypto::Crc64Nvme(0, data)) << "round " << round;
  }
}

TEST(CrcCombine, LongSecondPieceUsesManyPowers) {
  const std::string a = "head";
  const std::string b(3 * 1024 * 1024 + 17, 'z');
  EXPECT_EQ(Crc32Combine(crypto::Crc32(0, a), crypto::Crc32(0, b), b.size()), crypto::Crc32(0, a + b));
  EXPECT_EQ(Crc64NvmeCombine(crypto::Crc64Nvme(0, a), crypto::Crc64Nvme(0, b), b.size()),
            crypto::Crc64Nvme(0, a + b));
}

TEST(MultipartChecksum, FullObjectIsTheCrcOfTheWholeBody) {
  std::mt19937_64 rng(99);
  const std::string data = RandomBytes(rng, 20000);
  const auto pieces = Split(rng, data, 4);
  for (ChecksumAlgorithm alg :
       {ChecksumAlgorithm::kCrc32, ChecksumAlgorithm::kCrc32c, ChecksumAlgorithm::kCrc64Nvme}) {
    std::vector<PartChecksum> parts;
    for (const auto& p : pieces) parts.push_back({crypto::ChecksumBase64(alg, p), p.size()});
    EXPECT_EQ(MultipartChecksum(alg, ChecksumType::kFullObject, parts), crypto::ChecksumBase64(alg, data));
  }
}

TEST(MultipartChecksum, CompositeIsTheCrcOfThePartCrcsWithTheCount) {
  const std::vector<std::string> pieces = {"first part", "second", "third and last"};
  std::string concatenated;  // big-endian part CRCs, built from the raw integers
  std::vector<PartChecksum> parts;
  for (const auto& p : pieces) {
    const std::uint32_t crc = crypto::Crc32c(0, p);
    for (int shift = 24; shift >= 0; shift -= 8)
      concatenated.push_back(static_cast<char>((crc >> shift) & 0xFF));
    parts.push_back({BigEndianBase64(crc, 4), p.size()});
  }
  const std::string expected = BigEndianBase64(crypto::Crc32c(0, concatenated), 4) + "-3";
  EXPECT_EQ(MultipartChecksum(ChecksumAlgorithm::kCrc32c, ChecksumType::kComposite, parts), expected);
}

TEST(MultipartChecksum, CompositeSha256HashesThePartDigests) {
  std::vector<PartChecksum> parts = {{crypto::ChecksumBase64(ChecksumAlgorithm::kSha256, "a"), 1},
                                     {crypto::ChecksumBase64(ChecksumAlgorithm::kSha256, "b"), 1}};
  std::string joined;
  for (const auto& p : parts) joined += AsChars(*Base64Decode(p.base64));
  EXPECT_EQ(MultipartChecksum(ChecksumAlgorithm::kSha256, ChecksumType::kComposite, parts),
            crypto::ChecksumBase64(ChecksumAlgorithm::kSha256, joined) + "-2");
}

TEST(MultipartChecksum, RejectsTypesTheAlgorithmDoesNotHave) {
  const std::vector<PartChecksum> parts = {{crypto::ChecksumBase64(ChecksumAlgorithm::kSha1, "x"), 1}};
  EXPECT_EQ(MultipartChecksum(ChecksumAlgorithm::kSha1, ChecksumType::kFullObject, parts), std::nullopt);
  EXPECT_FALSE(ChecksumTypeAllowed(ChecksumAlgorithm::kCrc64Nvme, ChecksumType::kComposite));
  EXPECT_FALSE(ChecksumTypeAllowed(ChecksumAlgorithm::kSha256, ChecksumType::kFullObject));
  EXPECT_TRUE(ChecksumTypeAllowed(ChecksumAlgorithm::kCrc32, ChecksumType::kFullObject));
  EXPECT_EQ(DefaultChecksumType(ChecksumAlgorithm::kCrc64Nvme), ChecksumType::kFullObject);
  EXPECT_EQ(DefaultChecksumType(ChecksumAlgorithm::kCrc32), ChecksumType::kComposite);
}

TEST(MultipartChecksum, RejectsAPartChecksumOfTheWrongLength) {
  const std::vector<PartChecksum> parts = {{crypto::ChecksumBase64(ChecksumAlgorithm::kSha1, "x"), 1}};
  EXPECT_EQ(MultipartChecksum(ChecksumAlgorithm::kCrc32, ChecksumType::kFullObject, parts), std::nullopt);
  EXPECT_EQ(MultipartChecksum(ChecksumAlgorithm::kCrc32, ChecksumType::kComposite, parts), std::nullopt);
}

TEST(ChecksumTypeNames, RoundTrip) {
  EXPECT_EQ(ChecksumTypeFromName("COMPOSITE"), ChecksumType::kComposite);
  EXPECT_EQ(ChecksumTypeFromName("FULL_OBJECT"), ChecksumType::kFullObject);
  EXPECT_EQ(ChecksumTypeFromName("full_object"), ChecksumType::kFullObject);
  EXPECT_EQ(ChecksumTypeFromName("FULL"), std::nullopt);
  EXPECT_EQ(ChecksumTypeFromName("COMPOSITE-"), std::nullopt);
  EXPECT_EQ(ChecksumTypeName(ChecksumType::kFullObject), "FULL_OBJECT");
}

// Uploads begun before the type was stored decode with S3's default type.
TEST(UploadRecordChecksumType, MissingTypeIsTheAlgorithmsDefault) {
  for (const auto& [alg, type] : {std::pair{"CRC32", "COMPOSITE"}, std::pair{"CRC64NVME", "FULL_OBJECT"}}) {
    UploadRecord upload;
    upload.checksum_algorithm = alg;
    nlohmann::json j = nlohmann::json::parse(EncodeUpload(upload));
    j.erase("cktype");
    StatusOr<UploadRecord> decoded = DecodeUpload(j.dump());
    ASSERT_TRUE(decoded.ok());
    EXPECT_EQ(decoded->checksum_type, type);
  }
  StatusOr<UploadRecord> none = DecodeUpload(EncodeUpload(UploadRecord{}));
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(none->checksum_type, "");
}

}  // namespace
}  // namespace coffer::s3

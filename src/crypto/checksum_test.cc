// S3 flexible checksums and MD5: the standard check values, the empty input,
// and incremental updates equal to one-shot ones at every split.
#include "crypto/checksum.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "common/encoding.h"

namespace coffer::crypto {
namespace {

struct Vector {
  ChecksumAlgorithm algorithm;
  std::string_view check_hex;  // of "123456789"
  std::string_view empty_hex;  // of ""
};

// CRC check values from the CRC catalogue (CRC-32/ISO-HDLC, CRC-32/ISCSI,
// CRC-64/NVME); SHA values from FIPS 180-4 implementations.
constexpr Vector kVectors[] = {
    {ChecksumAlgorithm::kCrc32, "cbf43926", "00000000"},
    {ChecksumAlgorithm::kCrc32c, "e3069283", "00000000"},
    {ChecksumAlgorithm::kCrc64Nvme, "ae8b14860a799888", "0000000000000000"},
    {ChecksumAlgorithm::kSha1, "f7c3bc1d808e04732adf679965ccc34ca7ae3441",
     "da39a3ee5e6b4b0d3255bfef95601890afd80709"},
    {ChecksumAlgorithm::kSha256, "15e2b0d3c33891ebb0f1ef609ec419420c20e320ce94c65fbc8c3312448eb225",
     "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
};

std::string HexOf(const Bytes& bytes) { return HexEncode(bytes); }

TEST(ChecksumTest, CheckValues) {
  for (const Vector& v : kVectors) {
    SCOPED_TRACE(std::string(ChecksumName(v.algorithm)));
    const auto checksum = Checksum::New(v.algorithm);
    ASSERT_NE(checksum, nullptr);
    EXPECT_EQ(checksum->algorithm(), v.algorithm);
    checksum->Update("123456789");
    const Bytes digest = checksum->Finish();
    EXPECT_EQ(digest.size(), ChecksumDigestLen(v.algorithm));
    EXPECT_EQ(HexOf(digest), v.check_hex);
  }
}

TEST(ChecksumTest, EmptyInput) {
  for (const Vector& v : kVectors) {
    SCOPED_TRACE(std::string(ChecksumName(v.algorithm)));
    EXPECT_EQ(HexOf(Checksum::New(v.algorithm)->Finish()), v.empty_hex);
    EXPECT_EQ(ChecksumBase64(v.algorithm, ""), Base64Encode(*HexDecode(v.empty_hex)));
  }
}

// The wire form is base64 of the big-endian digest bytes.
TEST(ChecksumTest, Base64IsOfBigEndianBytes) {
  EXPECT_EQ(ChecksumBase64(ChecksumAlgorithm::kCrc32, ""), "AAAAAA==");
  EXPECT_EQ(ChecksumBase64(ChecksumAlgorithm::kCrc32, "123456789"), "y/Q5Jg==");
  EXPECT_EQ(ChecksumBase64(ChecksumAlgorithm::kCrc32c, "123456789"), "4waSgw==");
  EXPECT_EQ(ChecksumBase64(ChecksumAlgorithm::kCrc64Nvme, "123456789"), "rosUhgp5mIg=");
  EXPECT_EQ(ChecksumBase64(ChecksumAlgorithm::kCrc32, "hello world"), "DUoRhQ==");
}

TEST(ChecksumTest, RawCrcsMatchAndChain) {
  EXPECT_EQ(Crc32(0, "123456789"), 0xCBF43926u);
  EXPECT_EQ(Crc32c(0, "123456789"), 0xE3069283u);
  EXPECT_EQ(Crc64Nvme(0, "123456789"), 0xAE8B14860A799888ull);
  EXPECT_EQ(Crc32c(Crc32c(0, "1234"), "56789"), 0xE3069283u);
  EXPECT_EQ(Crc64Nvme(Crc64Nvme(0, "12345"), "6789"), 0xAE8B14860A799888ull);
}

// Long enough that the eight-byte loop runs at every alignment.
std::string TestMessage() {
  std::string message;
  for (int i = 0; i < 67; ++i) message.push_back(static_cast<char>(i * 37 + 11));
  return message;
}

TEST(ChecksumTest, EverySplitEqualsOneShot) {
  const std::string message = TestMessage();
  for (const Vector& v : kVectors) {
    SCOPED_TRACE(std::string(ChecksumName(v.algorithm)));
    const std::string expected = ChecksumBase64(v.algorithm, message);
    const auto checksum = Checksum::New(v.algorithm);
    for (std::size_t split = 0; split <= message.size(); ++split) {
      checksum->Update(std::string_view(message).substr(0, split));
      checksum->Update(std::string_view(message).substr(split));
      EXPECT_EQ(checksum->FinishBase64(), expected) << "split at " << split;
    }
    for (const char c : message) checksum->Update(std::string_view(&c, 1));
    EXPECT_EQ(checksum->FinishBase64(), expected) << "byte by byte";
  }
}

// CRC-64/NVME one bit at a time, straight from its definition (reflected,
// polynomial 0xAD93D23594C93659, init and final xor all ones): the oracle for
// the folded (carry-less multiply) path, which long inputs take.
std::uint64_t BitwiseCrc64Nvme(std::string_view data) {
  constexpr std::uint64_t kNormalPoly = 0xAD93D23594C93659ull;
  std::uint64_t crc = ~0ull;
  for (const char c : data) {
    auto byte = static_cast<std::uint8_t>(c);
    for (int bit = 0; bit < 8; ++bit, byte >>= 1) {  // reflected: low bit first
      const bool top = ((crc >> 63) ^ (byte & 1)) != 0;
      crc <<= 1;
      if (top) crc ^= kNormalPoly;
    }
  }
  // The register above is in normal order; reflect it for the reflected CRC.
  std::uint64_t reflected = 0;
  for (int i = 0; i < 64; ++i) reflected |= ((crc >> i) & 1) << (63 - i);
  return ~reflected;
}

TEST(ChecksumTest, Crc64NvmeMatchesTheBitwiseDefinitionAtEveryLength) {
  EXPECT_EQ(BitwiseCrc64Nvme("123456789"), 0xAE8B14860A799888ull);  // the catalogue's check value
  std::string data;
  std::uint32_t x = 12345;
  for (int i = 0; i < 4096 + 37; ++i) {
    x = x * 1103515245u + 12345u;
    data.push_back(static_cast<char>(x >> 23));
  }
  for (std::size_t len :
       {0, 1, 15, 16, 17, 31, 32, 33, 63, 64, 65, 79, 80, 127, 128, 129, 1000, 4096, 4133}) {
    const std::string_view piece = std::string_view(data).substr(0, len);
    EXPECT_EQ(Crc64Nvme(0, piece), BitwiseCrc64Nvme(piece)) << "length " << len;
  }
  for (std::size_t offset = 0; offset < 16; ++offset) {  // unaligned starts
    const std::string_view piece = std::string_view(data).substr(offset, 1000 + offset);
    EXPECT_EQ(Crc64Nvme(0, piece), BitwiseCrc64Nvme(piece)) << "offset " << offset;
  }
  for (std::size_t split : {1, 63, 64, 65, 200, 2048, 4000}) {  // chained, each side long or short
    EXPECT_EQ(Crc64Nvme(Crc64Nvme(0, std::string_view(data).substr(0, split)),
                        std::string_view(data).substr(split)),
              BitwiseCrc64Nvme(data))
        << "split " << split;
  }
}

// CRC32C (Castagnoli, reflected 0x82F63B78) one bit at a time: the oracle
// for the hardware instruction path.
std::uint32_t BitwiseCrc32c(std::string_view data) {
  std::uint32_t crc = ~0u;
  for (const char c : data) {
    crc ^= static_cast<std::uint8_t>(c);
    for (int bit = 0; bit < 8; ++bit) crc = (crc & 1) ? (crc >> 1) ^ 0x82F63B78u : crc >> 1;
  }
  return ~crc;
}

TEST(ChecksumTest, Crc32cMatchesTheBitwiseDefinitionAtEveryLength) {
  EXPECT_EQ(BitwiseCrc32c("123456789"), 0xE3069283u);  // the catalogue's check value
  std::string data;
  for (int i = 0; i < 1100; ++i) data.push_back(static_cast<char>(i * 61 + 3));
  for (std::size_t len = 0; len <= 40; ++len) {
    EXPECT_EQ(Crc32c(0, std::string_view(data).substr(0, len)), BitwiseCrc32c(data.substr(0, len))) << len;
  }
  for (std::size_t offset = 0; offset < 8; ++offset) {
    const std::string_view piece = std::string_view(data).substr(offset, 1000 + offset);
    EXPECT_EQ(Crc32c(0, piece), BitwiseCrc32c(piece)) << "offset " << offset;
    EXPECT_EQ(Crc32c(Crc32c(0, piece.substr(0, 13)), piece.substr(13)), BitwiseCrc32c(piece)) << "chained";
  }
}

TEST(ChecksumTest, FinishStartsOver) {
  const auto checksum = Checksum::New(ChecksumAlgorithm::kCrc32c);
  checksum->Update("garbage");
  (void)checksum->Finish();
  checksum->Update("123456789");
  EXPECT_EQ(checksum->FinishBase64(), "4waSgw==");
}

TEST(ChecksumTest, NamesAndHeaders) {
  EXPECT_EQ(ChecksumAlgorithmFromName("CRC32"), ChecksumAlgorithm::kCrc32);
  EXPECT_EQ(ChecksumAlgorithmFromName("crc32c"), ChecksumAlgorithm::kCrc32c);
  EXPECT_EQ(ChecksumAlgorithmFromName("Crc64Nvme"), ChecksumAlgorithm::kCrc64Nvme);
  EXPECT_EQ(ChecksumAlgorithmFromName("sha1"), ChecksumAlgorithm::kSha1);
  EXPECT_EQ(ChecksumAlgorithmFromName("SHA256"), ChecksumAlgorithm::kSha256);
  EXPECT_EQ(ChecksumAlgorithmFromName("MD5"), std::nullopt);
  EXPECT_EQ(ChecksumAlgorithmFromName(""), std::nullopt);
  EXPECT_EQ(ChecksumAlgorithmFromName("CRC32 "), std::nullopt);

  EXPECT_EQ(ChecksumAlgorithmFromHeader("x-amz-checksum-crc32"), ChecksumAlgorithm::kCrc32);
  EXPECT_EQ(ChecksumAlgorithmFromHeader("X-Amz-Checksum-CRC64NVME"), ChecksumAlgorithm::kCrc64Nvme);
  EXPECT_EQ(ChecksumAlgorithmFromHeader("x-amz-checksum-algorithm"), std::nullopt);
  EXPECT_EQ(ChecksumAlgorithmFromHeader("crc32"), std::nullopt);

  for (const Vector& v : kVectors) {
    EXPECT_EQ(ChecksumAlgorithmFromName(ChecksumName(v.algorithm)), v.algorithm);
    EXPECT_EQ(ChecksumAlgorithmFromHeader(ChecksumHeaderName(v.algorithm)), v.algorithm);
  }
  EXPECT_EQ(ChecksumHeaderName(ChecksumAlgorithm::kSha256), "x-amz-checksum-sha256");
  EXPECT_EQ(ChecksumName(ChecksumAlgorithm::kCrc64Nvme), "CRC64NVME");
}

TEST(Md5Test, CheckValuesAndForms) {
  Md5 md5;
  EXPECT_EQ(md5.FinishHex(), "d41d8cd98f00b204e9800998ecf8427e");
  md5.Update("123456789");
  EXPECT_EQ(md5.FinishHex(), "25f9e794323b453885f5181f1b624d0b");
  md5.Update("1234");
  md5.Update("56789");
  EXPECT_EQ(md5.FinishBase64(), Base64Encode(*HexDecode("25f9e794323b453885f5181f1b624d0b")));
  EXPECT_EQ(md5.Finish().size(), 16u);
}

}  // namespace
}  // namespace coffer::crypto

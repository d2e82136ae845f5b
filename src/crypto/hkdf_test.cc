// HKDF-SHA256: RFC 5869 by construction and by example, then every Wycheproof vector.
#include <gtest/gtest.h>

#include <cstdio>
#include <string>

#include "crypto/crypto.h"
#include "crypto/test_vectors.h"

namespace coffer::crypto {
namespace {

using testing::Hex;
using testing::HexField;

// RFC 5869 section 2, written out with HMAC: the reference HkdfSha256 must match.
Bytes ReferenceHkdf(ByteView ikm, ByteView salt, ByteView info, std::size_t out_len) {
  const Bytes zero_salt(kSha256Len, 0);
  const Sha256Digest prk = HmacSha256(salt.empty() ? ByteView(zero_salt) : salt, ikm);
  Bytes okm, t;
  for (std::uint8_t i = 1; okm.size() < out_len; ++i) {
    Bytes block = t;
    block.insert(block.end(), info.begin(), info.end());
    block.push_back(i);
    const Sha256Digest next = HmacSha256(prk, block);
    t.assign(next.begin(), next.end());
    okm.insert(okm.end(), t.begin(), t.end());
  }
  okm.resize(out_len);
  return okm;
}

Bytes ToVector(const SecretBytes& secret) { return {secret.view().begin(), secret.view().end()}; }

TEST(HkdfSha256Test, Rfc5869TestCase1) {
  auto okm = HkdfSha256(Hex("0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b"),
                        Hex("000102030405060708090a0b0c"), Hex("f0f1f2f3f4f5f6f7f8f9"), 42);
  ASSERT_TRUE(okm.ok()) << okm.status().ToString();
  EXPECT_EQ(HexEncode(okm->view()),
            "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865");
}

TEST(HkdfSha256Test, Rfc5869TestCase3EmptySaltAndInfo) {
  auto okm = HkdfSha256(Hex("0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b"), {}, {}, 42);
  ASSERT_TRUE(okm.ok()) << okm.status().ToString();
  EXPECT_EQ(HexEncode(okm->view()),
            "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8");
}

TEST(HkdfSha256Test, MatchesTheRfcConstructionIncludingEmptyInputs) {
  const Bytes some = ToBytes("some bytes");
  for (const Bytes& ikm : {Bytes{}, some}) {
    for (const Bytes& salt : {Bytes{}, some}) {
      for (const Bytes& info : {Bytes{}, some}) {
        for (std::size_t len : {1u, 31u, 32u, 33u, 100u}) {
          auto okm = HkdfSha256(ikm, salt, info, len);
          ASSERT_TRUE(okm.ok()) << okm.status().ToString();
          EXPECT_EQ(ToVector(*okm), ReferenceHkdf(ikm, salt, info, len))
              << ikm.size() << " " << salt.size() << " " << info.size() << " " << len;
        }
      }
    }
  }
}

TEST(HkdfSha256Test, MatchesTheRfcConstructionForInfoAroundTheStackBlockSize) {
  // T(i-1) | info | i is built on the stack up to 256 bytes, on the heap beyond.
  const Bytes ikm = ToBytes("input keying material");
  for (std::size_t info_len : {222u, 223u, 224u, 225u, 1000u}) {
    Bytes info(info_len);
    for (std::size_t i = 0; i < info.size(); ++i) info[i] = static_cast<std::uint8_t>(i * 7);
    auto okm = HkdfSha256(ikm, {}, info, 100);
    ASSERT_TRUE(okm.ok()) << okm.status().ToString();
    EXPECT_EQ(ToVector(*okm), ReferenceHkdf(ikm, {}, info, 100)) << info_len;
  }
}

TEST(HkdfSha256Test, OutputLengthIsBoundedBy255Blocks) {
  const Bytes ikm(32, 1);
  EXPECT_TRUE(HkdfSha256(ikm, {}, {}, 255 * kSha256Len).ok());
  EXPECT_EQ(HkdfSha256(ikm, {}, {}, 255 * kSha256Len + 1).status().code(), ErrorCode::kInternal);
  EXPECT_EQ(HkdfSha256(ikm, {}, {}, 0).status().code(), ErrorCode::kInternal);
}

// Wycheproof: hkdf_sha256_test.json. "" when the case behaves as published.
std::string CheckWycheproofHkdfCase(const nlohmann::json& test) {
  const Bytes ikm = HexField(test, "ikm"), salt = HexField(test, "salt"), info = HexField(test, "info");
  const Bytes expected = HexField(test, "okm");
  const auto size = test.at("size").get<std::size_t>();
  const std::string result = test.at("result").get<std::string>();
  auto okm = HkdfSha256(ikm, salt, info, size);
  if (result == "valid") {
    if (!okm.ok()) {
      return "derive failed: " + okm.status().ToString();
    }
    if (ToVector(*okm) != expected) {
      return "wrong output";
    }
  } else if (result == "invalid") {
    if (okm.ok()) {
      return "derive accepted an invalid request";
    }
  } else if (okm.ok() && ToVector(*okm) != expected) {
    return "wrong output for an acceptable case";
  }
  return "";
}

TEST(HkdfSha256WycheproofTest, EveryVectorBehavesAsPublished) {
  const nlohmann::json file =
      testing::LoadJson(testing::OracleFile("wycheproof/testvectors_v1/hkdf_sha256_test.json"));
  ASSERT_FALSE(file.is_discarded());
  int passed = 0, total = 0;
  for (const auto& group : file.at("testGroups")) {
    for (const auto& test : group.at("tests")) {
      ++total;
      const std::string why = CheckWycheproofHkdfCase(test);
      EXPECT_EQ(why, "") << "tcId " << test.at("tcId").get<int>() << " "
                         << test.at("comment").get<std::string>();
      if (why.empty()) {
        ++passed;
      }
    }
  }
  std::printf("[ wycheproof ] hkdf_sha256_test.json: %d passed, 0 skipped, %d total\n", passed, total);
  EXPECT_EQ(total, file.at("numberOfTests").get<int>());
  EXPECT_EQ(passed, total);
  EXPECT_GT(passed, 80);
}

}  // namespace
}  // namespace coffer::crypto

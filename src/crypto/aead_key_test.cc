// AesGcmKey: one keyed context for many messages gives the same bytes as the
// one-shot AesGcmSeal, and a failed Open leaves it usable.
#include "crypto/aead_key.h"

#include <gtest/gtest.h>

namespace coffer::crypto {
namespace {

TEST(AesGcmKeyTest, MatchesOneShotSealAcrossManyCallsAndEveryKeySize) {
  for (std::size_t key_len : {16u, 24u, 32u}) {
    const Bytes key(key_len, 0x11);
    auto aead = AesGcmKey::Create(key);
    ASSERT_TRUE(aead.ok());
    for (std::uint8_t i = 0; i < 5; ++i) {
      const Bytes iv(kGcmIvLen, i), aad(i, 0xaa), plaintext(100 + i, i);
      Bytes expected(plaintext.size()), got(plaintext.size());
      std::array<std::uint8_t, kGcmTagLen> expected_tag{}, tag{};
      ASSERT_TRUE(AesGcmSeal(key, iv, aad, plaintext, expected, expected_tag).ok());
      ASSERT_TRUE((*aead)->Seal(iv, aad, plaintext, got, tag).ok());
      EXPECT_EQ(got, expected);
      EXPECT_EQ(tag, expected_tag);
      Bytes opened(got.size());
      ASSERT_TRUE((*aead)->Open(iv, aad, got, tag, opened).ok());
      EXPECT_EQ(opened, plaintext);
    }
  }
}

TEST(AesGcmKeyTest, BadTagFailsWipesAndTheKeyStaysUsable) {
  const Bytes key(32, 3), iv(kGcmIvLen, 1), plaintext(40, 9);
  auto aead = AesGcmKey::Create(key);
  ASSERT_TRUE(aead.ok());
  Bytes ciphertext(plaintext.size()), out(plaintext.size(), 0x77);
  std::array<std::uint8_t, kGcmTagLen> tag{};
  ASSERT_TRUE((*aead)->Seal(iv, {}, plaintext, ciphertext, tag).ok());
  auto bad_tag = tag;
  bad_tag[0] ^= 1;
  EXPECT_EQ((*aead)->Open(iv, {}, ciphertext, bad_tag, out).code(), ErrorCode::kInvalidCiphertext);
  EXPECT_EQ(out, Bytes(out.size(), 0));
  ASSERT_TRUE((*aead)->Open(iv, {}, ciphertext, tag, out).ok());
  EXPECT_EQ(out, plaintext);
}

TEST(AesGcmKeyTest, RejectsBadLengths) {
  EXPECT_FALSE(AesGcmKey::Create(Bytes(20, 0)).ok());
  auto aead = AesGcmKey::Create(Bytes(16, 0));
  ASSERT_TRUE(aead.ok());
  Bytes out(4);
  std::array<std::uint8_t, kGcmTagLen> tag{};
  EXPECT_FALSE((*aead)->Seal(Bytes(8, 0), {}, Bytes(4, 0), out, tag).ok());
  EXPECT_FALSE((*aead)->Seal(Bytes(kGcmIvLen, 0), {}, Bytes(5, 0), out, tag).ok());
  EXPECT_FALSE((*aead)->Open(Bytes(kGcmIvLen, 0), {}, Bytes(4, 0), Bytes(15, 0), out).ok());
}

}  // namespace
}  // namespace coffer::crypto

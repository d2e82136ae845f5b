// Hashes, MACs, randomness and password hashing: the parts of crypto.h that
// are not AES-GCM (aead_test.cc) or HKDF (hkdf_test.cc).
#include "crypto/crypto.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <set>
#include <string>

#include "common/encoding.h"
#include "crypto/test_vectors.h"

namespace coffer::crypto {
namespace {

using testing::AllZero;
using testing::Hex;

std::string HexOf(const Sha256Digest& digest) { return HexEncode(digest); }

// FIPS 180-2 appendix B examples.
TEST(Sha256Test, MatchesFips180KnownAnswers) {
  EXPECT_EQ(HexOf(Sha256(ToBytes("abc"))),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(HexOf(Sha256(ToBytes("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"))),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  EXPECT_EQ(HexOf(Sha256(Bytes(1000000, 'a'))),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(Sha256Test, EmptyInput) {
  EXPECT_EQ(HexOf(Sha256({})), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(Sha256HasherTest, IncrementalEqualsOneShotAtEverySplit) {
  const Bytes message =
      ToBytes("The quick brown fox jumps over the lazy dog, then again and again and again.");
  const Sha256Digest expected = Sha256(message);
  for (std::size_t split = 0; split <= message.size(); ++split) {
    Sha256Hasher hasher;
    hasher.Update(ByteView(message).first(split));
    hasher.Update(ByteView(message).subspan(split));
    EXPECT_EQ(hasher.Final(), expected) << split;
  }
}

TEST(Sha256HasherTest, ByteAtATimeEqualsOneShot) {
  const Bytes message(300, 0x5c);
  Sha256Hasher hasher;
  for (std::uint8_t b : message) {
    hasher.Update(ByteView(&b, 1));
  }
  EXPECT_EQ(hasher.Final(), Sha256(message));
}

TEST(Sha256HasherTest, FinalResetsForTheNextMessage) {
  Sha256Hasher hasher;
  hasher.Update(ToBytes("abc"));
  EXPECT_EQ(hasher.Final(), Sha256(ToBytes("abc")));
  EXPECT_EQ(hasher.Final(), Sha256({}));
  hasher.Update(ToBytes("xyz"));
  EXPECT_EQ(hasher.Final(), Sha256(ToBytes("xyz")));
}

// RFC 4231 section 4 test cases (HMAC-SHA-256 column).
TEST(HmacSha256Test, MatchesRfc4231KnownAnswers) {
  EXPECT_EQ(HexOf(HmacSha256(Bytes(20, 0x0b), ToBytes("Hi There"))),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
  EXPECT_EQ(HexOf(HmacSha256(ToBytes("Jefe"), ToBytes("what do ya want for nothing?"))),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  EXPECT_EQ(HexOf(HmacSha256(Bytes(20, 0xaa), Bytes(50, 0xdd))),
            "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe");
  EXPECT_EQ(HexOf(HmacSha256(Hex("0102030405060708090a0b0c0d0e0f10111213141516171819"), Bytes(50, 0xcd))),
            "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b");
  // Test case 5 publishes only the first 128 bits.
  EXPECT_EQ(HexOf(HmacSha256(Bytes(20, 0x0c), ToBytes("Test With Truncation"))).substr(0, 32),
            "a3b6167473100ee06e0c796c2955552b");
}

TEST(HmacSha256Test, KeysLongerThanABlockAreHashedFirst) {
  const Bytes key(131, 0xaa);
  EXPECT_EQ(HexOf(HmacSha256(key, ToBytes("Test Using Larger Than Block-Size Key - Hash Key First"))),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
  EXPECT_EQ(
      HexOf(HmacSha256(key, ToBytes("This is a test using a larger than block-size key and a larger than "
                                    "block-size data. The key needs to be hashed before being used by the "
                                    "HMAC algorithm."))),
      "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2");
}

TEST(HmacSha256Test, EmptyKeyAndEmptyMessageAreAllowed) {
  // An empty key is the all-zero block key (RFC 2104), so these agree.
  EXPECT_EQ(HmacSha256({}, ToBytes("m")), HmacSha256(Bytes(64, 0), ToBytes("m")));
  EXPECT_EQ(HmacSha256(ToBytes("k"), {}), HmacSha256(ToBytes("k"), Bytes{}));
  EXPECT_NE(HmacSha256(ToBytes("k"), {}), HmacSha256(ToBytes("k"), Bytes{0}));
}

TEST(OsRandomTest, FillsTheWholeBuffer) {
  OsRandom random;
  Bytes buffer(64, 0);
  ASSERT_TRUE(random.Fill(buffer).ok());
  // Each half all-zero by chance: 2^-256.
  EXPECT_FALSE(AllZero(ByteView(buffer).first(32)));
  EXPECT_FALSE(AllZero(ByteView(buffer).last(32)));
}

TEST(OsRandomTest, TwoDrawsDiffer) {
  OsRandom random;
  Bytes a(32), b(32);
  ASSERT_TRUE(random.Fill(a).ok());
  ASSERT_TRUE(random.Fill(b).ok());
  EXPECT_NE(a, b);
}

TEST(OsRandomTest, EmptyBufferIsFine) {
  OsRandom random;
  EXPECT_TRUE(random.Fill({}).ok());
}

TEST(OsRandomTest, SmallDrawsNeverRepeatAcrossBufferRefills) {
  // 16-byte draws are served from a per-thread buffer of DRBG output; 3000
  // of them cross many refills. A repeat would mean served bytes were reused.
  OsRandom random;
  std::set<Bytes> seen;
  for (int i = 0; i < 3000; ++i) {
    Bytes draw(16 + i % 3);
    ASSERT_TRUE(random.Fill(draw).ok());
    EXPECT_TRUE(seen.insert(draw).second) << "draw " << i << " repeated";
  }
}

TEST(OsRandomTest, AForkedChildNeverRepeatsTheParentsBytes) {
  OsRandom random;
  Bytes warm(8);
  ASSERT_TRUE(random.Fill(warm).ok());  // the parent's buffer now holds unserved bytes
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    Bytes draw(16);
    const bool ok = random.Fill(draw).ok();
    const ssize_t n = ok ? write(fds[1], draw.data(), draw.size()) : -1;
    _exit(n == 16 ? 0 : 1);
  }
  Bytes parent_draw(16);
  ASSERT_TRUE(random.Fill(parent_draw).ok());
  Bytes child_draw(16);
  ASSERT_EQ(read(fds[0], child_draw.data(), child_draw.size()), 16);
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  close(fds[0]);
  close(fds[1]);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  EXPECT_NE(child_draw, parent_draw);
}

TEST(RandomSecretTest, ReturnsTheRequestedLength) {
  OsRandom random;
  auto secret = RandomSecret(random, 32);
  ASSERT_TRUE(secret.ok());
  EXPECT_EQ(secret->size(), 32u);
  EXPECT_FALSE(AllZero(secret->view()));
}

class FailingRandom final : public RandomSource {
 public:
  Status Fill(std::span<std::uint8_t>) override { return InternalError("entropy source down"); }
};

TEST(RandomSecretTest, PropagatesTheSourceError) {
  FailingRandom random;
  auto secret = RandomSecret(random, 32);
  ASSERT_FALSE(secret.ok());
  EXPECT_EQ(secret.status().code(), ErrorCode::kInternal);
}

TEST(ConstantTimeEqualsTest, EqualBytesAreEqual) {
  EXPECT_TRUE(ConstantTimeEquals(ToBytes("secret"), ToBytes("secret")));
  EXPECT_TRUE(ConstantTimeEquals({}, {}));
}

TEST(ConstantTimeEqualsTest, ADifferenceAtAnyPositionIsSeen) {
  const Bytes a(40, 0x33);
  for (std::size_t i = 0; i < a.size(); ++i) {
    Bytes b = a;
    b[i] ^= 0x01;
    EXPECT_FALSE(ConstantTimeEquals(a, b)) << i;
  }
}

TEST(ConstantTimeEqualsTest, DifferentLengthsAreNeverEqual) {
  EXPECT_FALSE(ConstantTimeEquals(ToBytes("secret"), ToBytes("secre")));
  EXPECT_FALSE(ConstantTimeEquals(ToBytes("secret"), Bytes{'s', 'e', 'c', 'r', 'e', 't', 0}));
  EXPECT_FALSE(ConstantTimeEquals({}, Bytes{0}));
}

// Small parameters keep the test fast; production uses Argon2Params' defaults.
Argon2Params FastParams() { return {.t_cost = 2, .m_cost_kib = 1024, .parallelism = 1}; }

TEST(Argon2idTest, MatchesTheReferenceCommandLineTool) {
  // Produced with the reference implementation's CLI (Debian package argon2):
  //   echo -n "password" | argon2 somesaltsomesalt -id -t 2 -k 1024 -p 1 -l 32 -r
  auto hash = Argon2id("password", ToBytes("somesaltsomesalt"), FastParams(), 32);
  ASSERT_TRUE(hash.ok()) << hash.status().ToString();
  EXPECT_EQ(HexEncode(hash->view()), "08a19ee7f6d7f589c2ab6af18d6e724172b19f7d6fd462b38430ab31ceabeaf0");
}

TEST(Argon2idTest, MatchesTheReferenceToolWithTwoLanes) {
  //   echo -n "correct horse battery staple" | argon2 coffer-salt-0001 -id -t 3 -k 256 -p 2 -l 32 -r
  auto hash = Argon2id("correct horse battery staple", ToBytes("coffer-salt-0001"),
                       {.t_cost = 3, .m_cost_kib = 256, .parallelism = 2}, 32);
  ASSERT_TRUE(hash.ok()) << hash.status().ToString();
  EXPECT_EQ(HexEncode(hash->view()), "32d6fedc3cbb6a04bd9927548bee4b8c165fcb507f5316b34c52841b9111442f");
}

TEST(Argon2idTest, IsDeterministic) {
  auto a = Argon2id("passphrase", ToBytes("0123456789abcdef"), FastParams(), 32);
  auto b = Argon2id("passphrase", ToBytes("0123456789abcdef"), FastParams(), 32);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_TRUE(ConstantTimeEquals(a->view(), b->view()));
}

TEST(Argon2idTest, EveryInputChangesTheOutput) {
  const Bytes salt = ToBytes("0123456789abcdef");
  auto base = Argon2id("passphrase", salt, FastParams(), 32);
  ASSERT_TRUE(base.ok());
  Bytes other_salt = salt;
  other_salt[0] ^= 1;
  Argon2Params more_time = FastParams(), more_memory = FastParams(), more_lanes = FastParams();
  ++more_time.t_cost;
  more_memory.m_cost_kib *= 2;
  more_lanes.parallelism = 2;
  for (const auto& variant :
       {Argon2id("passphrasf", salt, FastParams(), 32), Argon2id("passphrase", other_salt, FastParams(), 32),
        Argon2id("passphrase", salt, more_time, 32), Argon2id("passphrase", salt, more_memory, 32),
        Argon2id("passphrase", salt, more_lanes, 32)}) {
    ASSERT_TRUE(variant.ok()) << variant.status().ToString();
    EXPECT_FALSE(ConstantTimeEquals(base->view(), variant->view()));
  }
}

TEST(Argon2idTest, OutputLengthIsHonoured) {
  auto hash = Argon2id("passphrase", ToBytes("0123456789abcdef"), FastParams(), 64);
  ASSERT_TRUE(hash.ok());
  EXPECT_EQ(hash->size(), 64u);
}

TEST(Argon2idTest, ParametersBelowTheRfcMinimumsAreInternalErrors) {
  const Bytes salt = ToBytes("0123456789abcdef");
  EXPECT_EQ(Argon2id("p", ToBytes("short"), FastParams(), 32).status().code(), ErrorCode::kInternal);
  EXPECT_EQ(Argon2id("p", salt, FastParams(), 3).status().code(), ErrorCode::kInternal);
  EXPECT_EQ(Argon2id("p", salt, {.t_cost = 0, .m_cost_kib = 1024, .parallelism = 1}, 32).status().code(),
            ErrorCode::kInternal);
  EXPECT_EQ(Argon2id("p", salt, {.t_cost = 1, .m_cost_kib = 4, .parallelism = 1}, 32).status().code(),
            ErrorCode::kInternal);
  EXPECT_EQ(Argon2id("p", salt, {.t_cost = 1, .m_cost_kib = 1024, .parallelism = 0}, 32).status().code(),
            ErrorCode::kInternal);
}

}  // namespace
}  // namespace coffer::crypto

// The caching CMM's thresholds, each on its own, with a FakeClock: max age,
// max messages, max bytes, partition by context and suite, bypasses.
#include "coffer/caching_cmm.h"

#include "envelope/suite.h"
#include "envelope/test_util.h"

namespace coffer::envelope {
namespace {

using std::chrono::seconds;

constexpr SuiteId kSuite = SuiteId::kAes256GcmHkdfSha512CommitKey;

// Counts the calls that reach the keyring (a KMS call each, in real use).
class CountingCmm final : public CryptoMaterialsManager {
 public:
  CountingCmm() : keyring_(testing::TestAesKeyring()), inner_(NewDefaultCmm(*keyring_)) {}
  StatusOr<EncryptionMaterials> GetEncryptionMaterials(const EncryptionMaterialsRequest& r) override {
    ++encrypt_calls;
    return inner_->GetEncryptionMaterials(r);
  }
  StatusOr<DecryptionMaterials> DecryptMaterials(const DecryptMaterialsRequest& r) override {
    ++decrypt_calls;
    return inner_->DecryptMaterials(r);
  }
  int encrypt_calls = 0, decrypt_calls = 0;

 private:
  std::unique_ptr<Keyring> keyring_;
  std::unique_ptr<CryptoMaterialsManager> inner_;
};

struct Fixture {
  explicit Fixture(CachingCmmOptions options)
      : clock(FromEpochMillis(0)), counting(std::make_shared<CountingCmm>()) {
    auto made = NewCachingCmm(counting, std::move(options), clock);
    EXPECT_TRUE(made.ok()) << made.status().ToString();
    cmm = std::move(made).value();
  }
  Status EncryptOnce(std::size_t len, const EncryptionContext& context = {}, SuiteId suite = kSuite) {
    EncryptOptions options;
    options.suite = suite;
    if (!GetSuite(suite).committing) options.commitment_policy = CommitmentPolicy::kForbidEncryptAllowDecrypt;
    return Encrypt(Bytes(len, 1), *cmm, context, options).status();
  }
  FakeClock clock;
  std::shared_ptr<CountingCmm> counting;
  std::unique_ptr<CachingCmm> cmm;
};

CachingCmmOptions Options(seconds age) {
  CachingCmmOptions options;
  options.max_age = age;
  return options;
}

TEST(CachingCmmTest, ReusesADataKeyUntilMaxAge) {
  Fixture f(Options(seconds(60)));
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(f.EncryptOnce(10).ok());
  EXPECT_EQ(f.counting->encrypt_calls, 1);
  EXPECT_EQ(f.cmm->stats().hits, 4u);
  f.clock.Advance(seconds(59));
  ASSERT_TRUE(f.EncryptOnce(10).ok());
  EXPECT_EQ(f.counting->encrypt_calls, 1);
  f.clock.Advance(seconds(1));
  ASSERT_TRUE(f.EncryptOnce(10).ok());
  EXPECT_EQ(f.counting->encrypt_calls, 2);
}

TEST(CachingCmmTest, MaxMessagesCountsTheFirstUse) {
  CachingCmmOptions options = Options(seconds(60));
  options.max_messages = 3;
  Fixture f(options);
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(f.EncryptOnce(1).ok());
  EXPECT_EQ(f.counting->encrypt_calls, 1);
  ASSERT_TRUE(f.EncryptOnce(1).ok());
  EXPECT_EQ(f.counting->encrypt_calls, 2);
}

TEST(CachingCmmTest, MaxBytesAndOversizedRequests) {
  CachingCmmOptions options = Options(seconds(60));
  options.max_bytes = 100;
  Fixture f(options);
  ASSERT_TRUE(f.EncryptOnce(60).ok());
  ASSERT_TRUE(f.EncryptOnce(40).ok());  // 100 in total: still within
  EXPECT_EQ(f.counting->encrypt_calls, 1);
  ASSERT_TRUE(f.EncryptOnce(1).ok());  // 101: a fresh key
  EXPECT_EQ(f.counting->encrypt_calls, 2);
  ASSERT_TRUE(f.EncryptOnce(101).ok());  // larger than max_bytes: never cached
  ASSERT_TRUE(f.EncryptOnce(101).ok());
  EXPECT_EQ(f.counting->encrypt_calls, 4);
}

TEST(CachingCmmTest, PartitionedByContextAndSuite) {
  Fixture f(Options(seconds(60)));
  ASSERT_TRUE(f.EncryptOnce(1, {{"tenant", "a"}}).ok());
  ASSERT_TRUE(f.EncryptOnce(1, {{"tenant", "b"}}).ok());
  ASSERT_TRUE(f.EncryptOnce(1, {{"tenant", "a"}}).ok());
  ASSERT_TRUE(f.EncryptOnce(1, {{"tenant", "a"}}, SuiteId::kAes256GcmHkdfSha512CommitKeyEcdsaP384).ok());
  EXPECT_EQ(f.counting->encrypt_calls, 3);
  EXPECT_EQ(f.cmm->stats().entries, 3u);
}

TEST(CachingCmmTest, BypassesUnknownLengthsAndIdentityKdfSuites) {
  Fixture f(Options(seconds(60)));
  ASSERT_TRUE(f.EncryptOnce(1, {}, SuiteId::kAes256GcmIv12Tag16NoKdf).ok());
  ASSERT_TRUE(f.EncryptOnce(1, {}, SuiteId::kAes256GcmIv12Tag16NoKdf).ok());
  EXPECT_EQ(f.counting->encrypt_calls, 2);
  auto streamed = Encryptor::Create(*f.cmm, {}, {});
  ASSERT_TRUE(streamed.ok());
  auto again = Encryptor::Create(*f.cmm, {}, {});
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(f.counting->encrypt_calls, 4);
  EXPECT_EQ(f.cmm->stats().entries, 0u);
}

TEST(CachingCmmTest, DecryptMaterialsAreCachedPerMessageKeyAndExpire) {
  Fixture f(Options(seconds(10)));
  auto message = Encrypt(Bytes(10, 2), *f.cmm, {{"a", "b"}});
  ASSERT_TRUE(message.ok());
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(Decrypt(*message, *f.cmm).ok());
  EXPECT_EQ(f.counting->decrypt_calls, 1);
  f.clock.Advance(seconds(10));
  ASSERT_TRUE(Decrypt(*message, *f.cmm).ok());
  EXPECT_EQ(f.counting->decrypt_calls, 2);
}

TEST(CachingCmmTest, CapacityEvictsTheLeastRecentlyUsed) {
  CachingCmmOptions options = Options(seconds(60));
  options.capacity = 2;
  Fixture f(options);
  ASSERT_TRUE(f.EncryptOnce(1, {{"k", "1"}}).ok());
  ASSERT_TRUE(f.EncryptOnce(1, {{"k", "2"}}).ok());
  ASSERT_TRUE(f.EncryptOnce(1, {{"k", "1"}}).ok());  // hit: "1" is now the most recent
  ASSERT_TRUE(f.EncryptOnce(1, {{"k", "3"}}).ok());  // evicts "2"
  ASSERT_TRUE(f.EncryptOnce(1, {{"k", "1"}}).ok());
  EXPECT_EQ(f.counting->encrypt_calls, 3);
  ASSERT_TRUE(f.EncryptOnce(1, {{"k", "2"}}).ok());
  EXPECT_EQ(f.counting->encrypt_calls, 4);
}

TEST(CachingCmmTest, RejectsBadOptions) {
  const FakeClock clock(FromEpochMillis(0));
  auto counting = std::make_shared<CountingCmm>();
  EXPECT_FALSE(NewCachingCmm(nullptr, Options(seconds(1)), clock).ok());
  EXPECT_FALSE(NewCachingCmm(counting, Options(seconds(0)), clock).ok());
  CachingCmmOptions options = Options(seconds(1));
  options.max_messages = 0;
  EXPECT_FALSE(NewCachingCmm(counting, options, clock).ok());
  options.max_messages = (std::uint64_t{1} << 32) + 1;
  EXPECT_FALSE(NewCachingCmm(counting, options, clock).ok());
  options = Options(seconds(1));
  options.capacity = 0;
  EXPECT_FALSE(NewCachingCmm(counting, options, clock).ok());
  options = Options(seconds(1));
  options.max_bytes = std::uint64_t{1} << 63;
  EXPECT_FALSE(NewCachingCmm(counting, options, clock).ok());
}

}  // namespace
}  // namespace coffer::envelope

// Rewrapper: the step `migrate-root-key` applies to every stored blob,
// between a software root key and a token's.
#include "rootkey/rewrap.h"

#include <gtest/gtest.h>

#include "crypto/crypto.h"
#include "pkcs11/softhsm_test_util.h"
#include "rootkey/pkcs11_root_key.h"

namespace coffer::rootkey {
namespace {

constexpr std::string_view kSecret = "access key secret";
constexpr std::string_view kAad = "coffer:access-key:AKIAEXAMPLE";

class RewrapTest : public ::testing::Test {
 protected:
  void SetUp() override {
    hsm_.InitToken("migrate");
    Pkcs11Options options;
    options.module = pkcs11::testing::kSoftHsmModule;
    options.token_label = "migrate";
    options.pin_file = hsm_.pin_file();
    auto token = OpenPkcs11RootKey(options, random_);
    ASSERT_TRUE(token.ok()) << token.status().ToString();
    token_ = std::move(*token);
  }

  pkcs11::testing::SoftHsm hsm_;
  crypto::OsRandom random_;
  SoftwareRootKey software_{SecretBytes(Bytes(32, 0x42)), random_};
  std::unique_ptr<RootKey> token_;
};

TEST_F(RewrapTest, MovesABlobToTheNewKeyUnderTheSameAad) {
  Rewrapper rewrap(software_, *token_);
  ASSERT_TRUE(rewrap.Check().ok());
  auto old_blob = software_.Wrap(AsBytes(kSecret), kAad);
  ASSERT_TRUE(old_blob.ok());
  auto moved = rewrap.Rewrap(*old_blob, kAad);
  ASSERT_TRUE(moved.ok()) << moved.status().ToString();
  ASSERT_TRUE(moved->has_value());
  EXPECT_EQ((**moved)[0], kPkcs11WrapFormat);
  auto plain = token_->Unwrap(**moved, kAad);
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(AsChars(plain->view()), kSecret);
  EXPECT_EQ(rewrap.moved(), 1u);
}

TEST_F(RewrapTest, ABlobAlreadyMovedIsLeftAloneSoAMigrationCanResume) {
  Rewrapper rewrap(software_, *token_);
  auto new_blob = token_->Wrap(AsBytes(kSecret), kAad);
  ASSERT_TRUE(new_blob.ok());
  auto again = rewrap.Rewrap(*new_blob, kAad);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_FALSE(again->has_value());
  EXPECT_EQ(rewrap.already_moved(), 1u);
  EXPECT_EQ(rewrap.moved(), 0u);
}

TEST_F(RewrapTest, MovesBackFromTheTokenToSoftware) {
  Rewrapper rewrap(*token_, software_);
  auto token_blob = token_->Wrap(AsBytes(kSecret), kAad);
  ASSERT_TRUE(token_blob.ok());
  auto moved = rewrap.Rewrap(*token_blob, kAad);
  ASSERT_TRUE(moved.ok() && moved->has_value());
  auto plain = software_.Unwrap(**moved, kAad);
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(AsChars(plain->view()), kSecret);
}

TEST_F(RewrapTest, ABlobTheOldKeyCannotUnwrapStopsTheMigration) {
  Rewrapper rewrap(software_, *token_);
  const SoftwareRootKey stranger(SecretBytes(Bytes(32, 0x07)), random_);
  auto foreign = stranger.Wrap(AsBytes(kSecret), kAad);
  ASSERT_TRUE(foreign.ok());
  auto moved = rewrap.Rewrap(*foreign, kAad);
  ASSERT_FALSE(moved.ok());
  EXPECT_EQ(moved.status().code(), ErrorCode::kInternal);
}

TEST_F(RewrapTest, AnAlreadyMovedBlobUnderTheWrongAadIsReported) {
  Rewrapper rewrap(software_, *token_);
  auto new_blob = token_->Wrap(AsBytes(kSecret), kAad);
  ASSERT_TRUE(new_blob.ok());
  EXPECT_FALSE(rewrap.Rewrap(*new_blob, "coffer:access-key:OTHER").ok());
}

TEST_F(RewrapTest, TwoKeysOfTheSameKindAreRefused) {
  const SoftwareRootKey other(SecretBytes(Bytes(32, 0x43)), random_);
  Rewrapper rewrap(software_, other);
  const Status st = rewrap.Check();
  EXPECT_EQ(st.code(), ErrorCode::kValidation);
}

}  // namespace
}  // namespace coffer::rootkey

// The S3 service key: versions stored wrapped under the root key, rotation on
// the clock or on demand, every process sharing the store seeing a new
// version at once, and blobs written under any version opening afterwards.
#include "s3/service_key.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "blobs/blob_store.h"
#include "common/encoding.h"
#include "crypto/crypto.h"

namespace coffer::s3 {
namespace {

using std::chrono::hours;
constexpr auto kDay = hours(24);

class ServiceKeyTest : public ::testing::Test {
 protected:
  ServiceKeyTest()
      : root_(SecretBytes(Bytes(32, 0x42)), random_),
        clock_(FromEpochMillis(1700000000000)),
        store_(store::NewMemoryStore()),
        keyring_(*store_, root_, clock_, random_, 30 * kDay) {}

  std::optional<std::string> Row(std::string_view key) {
    auto txn = store_->BeginRead();
    EXPECT_TRUE(txn.ok());
    auto row = (*txn)->Get(kServiceKeysTable, key);
    EXPECT_TRUE(row.ok());
    return row.ok() ? *row : std::nullopt;
  }
  void PutRow(std::string_view key, const std::string& value) {
    auto txn = store_->BeginWrite();
    ASSERT_TRUE(txn.ok());
    ASSERT_TRUE((*txn)->Put(kServiceKeysTable, key, value).ok());
    ASSERT_TRUE((*txn)->Commit().ok());
  }
  std::uint32_t Current() {
    auto version = keyring_.CurrentVersion();
    EXPECT_TRUE(version.ok()) << version.status().ToString();
    return version.ok() ? *version : 0;
  }

  crypto::OsRandom random_;
  rootkey::SoftwareRootKey root_;
  FakeClock clock_;
  std::unique_ptr<store::Store> store_;
  ServiceKeyring keyring_;
};

TEST_F(ServiceKeyTest, TheFirstUseCreatesVersion1WrappedUnderTheRootKey) {
  EXPECT_FALSE(Row("current").has_value());
  EXPECT_EQ(Current(), 1U);
  auto row = Row(ServiceKeyRowKey(1));
  ASSERT_TRUE(row.has_value());
  EXPECT_EQ(ServiceKeyRowKey(1), "version/0000000001");
  const auto parsed = nlohmann::json::parse(*row);
  EXPECT_EQ(parsed["version"], 1);
  EXPECT_EQ(parsed["created_ms"], 1700000000000);
  const auto wrapped = Base64Decode(parsed["wrapped"].get<std::string>());
  ASSERT_TRUE(wrapped.has_value());
  auto key = root_.Unwrap(*wrapped, "coffer:s3-service-key:v1:1");
  ASSERT_TRUE(key.ok()) << key.status().ToString();
  EXPECT_EQ(key->size(), 32U);
  EXPECT_FALSE(root_.Unwrap(*wrapped, ServiceKeyAad(2)).ok()) << "the aad binds the version";
}

TEST_F(ServiceKeyTest, RotatesOnTheClockOnlyOnceThePeriodHasPassed) {
  EXPECT_EQ(Current(), 1U);
  clock_.Advance(30 * kDay - hours(1));
  auto early = keyring_.Rotate(/*force=*/false);
  ASSERT_TRUE(early.ok());
  EXPECT_FALSE(early->rotated);
  EXPECT_EQ(early->version, 1U);
  clock_.Advance(hours(1));
  auto due = keyring_.Rotate(/*force=*/false);
  ASSERT_TRUE(due.ok());
  EXPECT_TRUE(due->rotated);
  EXPECT_EQ(due->version, 2U);
  EXPECT_EQ(Current(), 2U);
  auto again = keyring_.Rotate(/*force=*/false);
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(again->rotated) << "the new version's age counts from its creation";
}

TEST_F(ServiceKeyTest, ForcedRotationMakesANewVersionAtOnce) {
  EXPECT_EQ(Current(), 1U);
  for (std::uint32_t expected : {2U, 3U}) {
    auto forced = keyring_.Rotate(/*force=*/true);
    ASSERT_TRUE(forced.ok());
    EXPECT_TRUE(forced->rotated);
    EXPECT_EQ(forced->version, expected);
  }
  EXPECT_EQ(Current(), 3U);
}

TEST_F(ServiceKeyTest, PeriodZeroNeverRotatesOnTheClock) {
  ServiceKeyring manual(*store_, root_, clock_, random_, std::chrono::seconds(0));
  auto first = manual.Rotate(/*force=*/false);
  ASSERT_TRUE(first.ok());
  EXPECT_TRUE(first->rotated) << "version 1 is still made";
  clock_.Advance(3650 * kDay);
  auto later = manual.Rotate(/*force=*/false);
  ASSERT_TRUE(later.ok());
  EXPECT_FALSE(later->rotated);
  EXPECT_EQ(later->version, 1U);
}

TEST_F(ServiceKeyTest, AnotherProcessOnTheSameStoreSeesANewVersionAtOnce) {
  ServiceKeyring other_node(*store_, root_, clock_, random_);
  EXPECT_EQ(Current(), 1U);
  auto other_current = other_node.CurrentVersion();
  ASSERT_TRUE(other_current.ok());
  EXPECT_EQ(*other_current, 1U);
  ASSERT_TRUE(keyring_.Rotate(/*force=*/true).ok());
  other_current = other_node.CurrentVersion();
  ASSERT_TRUE(other_current.ok());
  EXPECT_EQ(*other_current, 2U);
  // And what one wraps under the new version, the other unwraps.
  const Bytes data_key(32, 0x5c);
  auto wrapped = other_node.Wrap(2, data_key, "aad");
  ASSERT_TRUE(wrapped.ok());
  auto opened = keyring_.Unwrap(2, *wrapped, "aad");
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  EXPECT_TRUE(std::equal(data_key.begin(), data_key.end(), opened->view().begin(), opened->view().end()));
}

TEST_F(ServiceKeyTest, UnwrapRefusesAnUnknownVersionAnotherVersionOrAnotherAad) {
  EXPECT_EQ(Current(), 1U);
  ASSERT_TRUE(keyring_.Rotate(/*force=*/true).ok());
  const Bytes data_key(32, 0x11);
  auto wrapped = keyring_.Wrap(1, data_key, "aad");
  ASSERT_TRUE(wrapped.ok());
  EXPECT_EQ(keyring_.Unwrap(9, *wrapped, "aad").status().code(), ErrorCode::kNotFound);
  EXPECT_EQ(keyring_.Wrap(9, data_key, "aad").status().code(), ErrorCode::kNotFound);
  EXPECT_EQ(keyring_.Unwrap(2, *wrapped, "aad").status().code(), ErrorCode::kInternal);
  EXPECT_EQ(keyring_.Unwrap(1, *wrapped, "other").status().code(), ErrorCode::kInternal);
  EXPECT_TRUE(keyring_.Unwrap(1, *wrapped, "aad").ok());
}

TEST_F(ServiceKeyTest, AStoredVersionUnderAnotherRootKeyOrTamperedDoesNotUnwrap) {
  rootkey::SoftwareRootKey other_root(SecretBytes(Bytes(32, 0x43)), random_);
  ServiceKeyring foreign(*store_, other_root, clock_, random_);
  EXPECT_EQ(Current(), 1U);
  EXPECT_EQ(foreign.Wrap(1, Bytes(32, 1), "aad").status().code(), ErrorCode::kInternal);
  auto row = nlohmann::json::parse(*Row(ServiceKeyRowKey(1)));
  row["version"] = 2;
  PutRow(ServiceKeyRowKey(2), row.dump());  // version 1's bytes presented as version 2
  EXPECT_EQ(keyring_.Wrap(2, Bytes(32, 1), "aad").status().code(), ErrorCode::kInternal);
  PutRow(ServiceKeyRowKey(3), "not json");
  EXPECT_EQ(keyring_.Wrap(3, Bytes(32, 1), "aad").status().code(), ErrorCode::kInternal);
}

TEST_F(ServiceKeyTest, BlobsWrittenUnderEveryVersionOpenAfterRotationAndRestart) {
  const auto dir =
      std::filesystem::temp_directory_path() / ("coffer-s3key-test-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::vector<std::string> ids;
  {
    auto blobs = blobs::OpenFileBlobStore({dir.string(), 1024}, root_, keyring_, random_);
    ASSERT_TRUE(blobs.ok()) << blobs.status().ToString();
    for (int i = 0; i < 3; ++i) {
      auto writer = (*blobs)->Create();
      ASSERT_TRUE(writer.ok()) << writer.status().ToString();
      ASSERT_TRUE((*writer)->Write("object " + std::to_string(i)).ok());
      auto info = (*writer)->Commit();
      ASSERT_TRUE(info.ok());
      ids.push_back(info->id);
      clock_.Advance(31 * kDay);
      ASSERT_TRUE(keyring_.Rotate(/*force=*/false).ok());
    }
  }
  EXPECT_EQ(Current(), 4U);
  // A new process: nothing cached, every version read back from the store.
  ServiceKeyring restarted(*store_, root_, clock_, random_);
  auto blobs = blobs::OpenFileBlobStore({dir.string(), 1024}, root_, restarted, random_);
  ASSERT_TRUE(blobs.ok());
  for (int i = 0; i < 3; ++i) {
    auto reader = (*blobs)->Open(ids[i]);
    ASSERT_TRUE(reader.ok()) << reader.status().ToString();
    std::string out((*reader)->size(), '\0');
    ASSERT_TRUE((*reader)->ReadAt(0, out).ok());
    EXPECT_EQ(out, "object " + std::to_string(i));
  }
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace coffer::s3

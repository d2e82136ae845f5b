// Many keys: `coffer admin bulk-create-keys` (CreateKeysInBulk) makes keys
// the operations use like any other, and the sweeper reads only the keys with
// work due (the due index), never every key of the store.
#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <string>

#include "kms/bulk_keys.h"
#include "kms/kms_test_util.h"

namespace coffer::kms::testing {
namespace {

using KeyScaleTest = KmsTest;

// Counts what transactions read from each table, passing everything through.
class CountingStore final : public store::Store {
 public:
  explicit CountingStore(store::Store& inner) : inner_(inner) {}
  std::map<std::string, int, std::less<>> gets;
  std::map<std::string, int, std::less<>> scanned_rows;

  StatusOr<std::unique_ptr<store::Txn>> BeginRead() override { return Wrap(inner_.BeginRead()); }
  StatusOr<std::unique_ptr<store::Txn>> BeginWrite() override { return Wrap(inner_.BeginWrite()); }
  int SchemaVersion() const override { return inner_.SchemaVersion(); }
  Status Ping() override { return inner_.Ping(); }

 private:
  class Txn final : public store::Txn {
   public:
    Txn(CountingStore& owner, std::unique_ptr<store::Txn> inner) : owner_(owner), inner_(std::move(inner)) {}
    StatusOr<std::optional<std::string>> Get(std::string_view table, std::string_view key) override {
      ++owner_.gets[std::string(table)];
      return inner_->Get(table, key);
    }
    Status Put(std::string_view table, std::string_view key, std::string_view value) override {
      return inner_->Put(table, key, value);
    }
    Status Delete(std::string_view table, std::string_view key) override {
      return inner_->Delete(table, key);
    }
    StatusOr<std::vector<store::Entry>> Scan(std::string_view table, std::string_view prefix,
                                             std::string_view start_after, std::size_t limit) override {
      auto entries = inner_->Scan(table, prefix, start_after, limit);
      if (entries.ok()) owner_.scanned_rows[std::string(table)] += static_cast<int>(entries->size());
      return entries;
    }
    Status Commit() override { return inner_->Commit(); }

   private:
    CountingStore& owner_;
    std::unique_ptr<store::Txn> inner_;
  };

  StatusOr<std::unique_ptr<store::Txn>> Wrap(StatusOr<std::unique_ptr<store::Txn>> txn) {
    if (!txn.ok()) return txn.status();
    return std::unique_ptr<store::Txn>(std::make_unique<Txn>(*this, std::move(*txn)));
  }
  store::Store& inner_;
};

std::size_t RowsOf(store::Store& store, std::string_view table) {
  auto txn = store.BeginRead();
  EXPECT_TRUE(txn.ok());
  auto rows = (*txn)->Scan(table, "", "", 1000000);
  EXPECT_TRUE(rows.ok());
  return rows.ok() ? rows->size() : 0;
}

// ---- bulk creation ----

TEST_F(KeyScaleTest, BulkKeysWorkLikeCreatedOnes) {
  auto report = CreateKeysInBulk(kms_, ctx_, 25, 10);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(report->created, 25u);

  const Json listed = MustCall("ListKeys", {{"Limit", 1000}});
  ASSERT_EQ(listed["Keys"].size(), 25u);
  for (const std::string& key_id : {report->first_key_id, report->last_key_id}) {
    const Json metadata = Describe(key_id);
    EXPECT_EQ(metadata["KeySpec"], "SYMMETRIC_DEFAULT");
    EXPECT_EQ(metadata["KeyUsage"], "ENCRYPT_DECRYPT");
    EXPECT_EQ(metadata["KeyState"], "Enabled");
    EXPECT_EQ(metadata["Origin"], "AWS_KMS");
    EXPECT_EQ(metadata["KeyManager"], "CUSTOMER");
    EXPECT_EQ(MustCall("GetKeyPolicy", {{"KeyId", key_id}})["Policy"], DefaultKeyPolicy(kAccount));
    auto decrypted = DecryptBlob(EncryptText(key_id, "bulk"));
    ASSERT_TRUE(decrypted.ok()) << decrypted.status().ToString();
    EXPECT_EQ(UnB64((*decrypted)["Plaintext"]), "bulk");
    EXPECT_EQ((*decrypted)["KeyId"], ArnOf(key_id));
  }
}

TEST_F(KeyScaleTest, BulkKeysGetDistinctMaterial) {
  auto report = CreateKeysInBulk(kms_, ctx_, 2, 2);
  ASSERT_TRUE(report.ok());
  const std::string blob = EncryptText(report->first_key_id, "mine");
  // The ciphertext names its key; under the other key's material it cannot open.
  EXPECT_EQ(CodeOf(DecryptBlob(blob, Json::object(), report->last_key_id)), ErrorCode::kIncorrectKey);
}

TEST_F(KeyScaleTest, BulkCreationRefusesZeroKeysPerTransaction) {
  EXPECT_EQ(CodeOf(CreateKeysInBulk(kms_, ctx_, 5, 0)), ErrorCode::kValidation);
  EXPECT_EQ(MustCall("ListKeys", Json::object())["Keys"].size(), 0u);
}

TEST_F(KeyScaleTest, BulkProgressHearsEachCommit) {
  std::vector<std::size_t> heard;
  ASSERT_TRUE(CreateKeysInBulk(kms_, ctx_, 7, 3, [&](std::size_t done) { heard.push_back(done); }).ok());
  EXPECT_EQ(heard, (std::vector<std::size_t>{3, 6, 7}));
}

// ---- the sweeper's due index ----

TEST_F(KeyScaleTest, TheSweeperReadsOnlyKeysWithWorkDue) {
  ASSERT_TRUE(CreateKeysInBulk(kms_, ctx_, 200, 50).ok());
  const std::string doomed = CreateKeyId();
  const std::string rotating = CreateKeyId();
  MustCall("ScheduleKeyDeletion", {{"KeyId", doomed}, {"PendingWindowInDays", 7}});
  MustCall("EnableKeyRotation", {{"KeyId", rotating}, {"RotationPeriodInDays", 90}});

  CountingStore counting(*store_);
  KeyStore keys(counting, root_key_, random_);
  KmsService kms(keys, random_, clock_);
  AdvanceMs(91 * kDayMs);
  auto changed = kms.RunSweeper();
  ASSERT_TRUE(changed.ok()) << changed.status().ToString();
  EXPECT_EQ(*changed, 2);
  EXPECT_EQ(counting.scanned_rows["keys"], 0);  // no pass over the 202 keys
  EXPECT_EQ(counting.gets["keys"], 2);          // the two keys with work
  EXPECT_EQ(CodeOf(Call("DescribeKey", {{"KeyId", doomed}})), ErrorCode::kNotFound);
  EXPECT_EQ(MustCall("ListKeyRotations", {{"KeyId", rotating}})["Rotations"].size(), 1u);
}

TEST_F(KeyScaleTest, TheIndexFollowsCancelAndDisable) {
  const std::string cancelled = CreateKeyId();
  const std::string disabled = CreateKeyId();
  EXPECT_EQ(RowsOf(*store_, "key_due"), 0u);
  MustCall("ScheduleKeyDeletion", {{"KeyId", cancelled}, {"PendingWindowInDays", 7}});
  MustCall("EnableKeyRotation", {{"KeyId", disabled}});
  EXPECT_EQ(RowsOf(*store_, "key_due"), 2u);
  MustCall("CancelKeyDeletion", {{"KeyId", cancelled}});
  MustCall("DisableKey", {{"KeyId", disabled}});
  EXPECT_EQ(RowsOf(*store_, "key_due"), 0u);
  AdvanceMs(400 * kDayMs);
  EXPECT_EQ(Sweep(), 0);
}

TEST_F(KeyScaleTest, KeysWrittenBeforeTheIndexAreFoundOnce) {
  const std::string doomed = CreateKeyId();
  MustCall("ScheduleKeyDeletion", {{"KeyId", doomed}, {"PendingWindowInDays", 7}});
  // The store as a coffer without the due index left it.
  {
    auto txn = store_->BeginWrite();
    ASSERT_TRUE(txn.ok());
    for (std::string_view table : {"key_due", "key_index_of", "key_counts", "key_index_meta"}) {
      auto rows = (*txn)->Scan(table, "", "", 1000);
      ASSERT_TRUE(rows.ok());
      for (const auto& row : *rows) ASSERT_TRUE((*txn)->Delete(table, row.key).ok());
    }
    ASSERT_TRUE((*txn)->Commit().ok());
  }
  KeyStore keys(*store_, root_key_, random_);
  KmsService kms(keys, random_, clock_);
  AdvanceMs(8 * kDayMs);
  auto changed = kms.RunSweeper();
  ASSERT_TRUE(changed.ok()) << changed.status().ToString();
  EXPECT_EQ(*changed, 1);
  EXPECT_EQ(RowsOf(*store_, "key_index_meta"), 1u);
  EXPECT_EQ(CodeOf(Call("DescribeKey", {{"KeyId", doomed}})), ErrorCode::kNotFound);
  auto counts = keys.CountByState();
  ASSERT_TRUE(counts.ok());
  EXPECT_EQ((*counts)["PendingDeletion"], 0);
}

TEST_F(KeyScaleTest, KeysAreCountedByStateAsTheyAreWritten) {
  ASSERT_TRUE(CreateKeysInBulk(kms_, ctx_, 12, 5).ok());
  const std::string disabled = CreateKeyId();
  const std::string doomed = CreateKeyId();
  MustCall("DisableKey", {{"KeyId", disabled}});
  MustCall("ScheduleKeyDeletion", {{"KeyId", doomed}, {"PendingWindowInDays", 7}});
  CreateKeyId({{"Origin", "EXTERNAL"}});
  using Counts = std::map<std::string, std::int64_t>;
  auto counts = keys_.CountByState();
  ASSERT_TRUE(counts.ok()) << counts.status().ToString();
  EXPECT_EQ(*counts,
            (Counts{{"Enabled", 12}, {"Disabled", 1}, {"PendingDeletion", 1}, {"PendingImport", 1}}));
  AdvanceMs(7 * kDayMs);
  EXPECT_EQ(Sweep(), 1);
  MustCall("EnableKey", {{"KeyId", disabled}});
  counts = keys_.CountByState();
  ASSERT_TRUE(counts.ok());
  EXPECT_EQ(*counts,
            (Counts{{"Enabled", 13}, {"Disabled", 0}, {"PendingDeletion", 0}, {"PendingImport", 1}}));
}

TEST_F(KeyScaleTest, AStaleIndexEntryIsRepairedNotActedOn) {
  const std::string key_id = CreateKeyId();
  MustCall("ScheduleKeyDeletion", {{"KeyId", key_id}, {"PendingWindowInDays", 30}});
  ASSERT_EQ(Sweep(), 0);  // the index is complete from here on
  // An entry claiming the key is due now (as a crash between writes could not
  // leave it, but a bug might): the sweeper checks the record itself.
  {
    auto txn = store_->BeginWrite();
    ASSERT_TRUE(txn.ok());
    const std::string store_key = KeyStoreKey(kRegion, kAccount, key_id);
    auto current = (*txn)->Get("key_index_of", store_key);
    ASSERT_TRUE(current.ok() && current->has_value());
    const std::string was_due = (*current)->substr((*current)->find('\n') + 1);
    ASSERT_TRUE((*txn)->Delete("key_due", was_due).ok());
    const std::string stale = "0000000000000001/" + store_key;
    ASSERT_TRUE((*txn)->Put("key_due", stale, "").ok());
    ASSERT_TRUE((*txn)->Put("key_index_of", store_key, "PendingDeletion\n" + stale).ok());
    ASSERT_TRUE((*txn)->Commit().ok());
  }
  EXPECT_EQ(Sweep(), 0);
  EXPECT_EQ(Describe(key_id)["KeyState"], "PendingDeletion");
  AdvanceMs(30 * kDayMs);
  EXPECT_EQ(Sweep(), 1);  // the repaired entry still brings it at its date
}

TEST_F(KeyScaleTest, MoreDueKeysThanOneBatchAllGoInOneRun) {
  auto report = CreateKeysInBulk(kms_, ctx_, 1100, 500);
  ASSERT_TRUE(report.ok());
  const Json page = MustCall("ListKeys", {{"Limit", 1000}});
  const std::string marker = page["NextMarker"].get<std::string>();
  std::vector<std::string> ids;
  for (const auto& k : page["Keys"]) ids.push_back(k["KeyId"].get<std::string>());
  const Json rest = MustCall("ListKeys", {{"Limit", 1000}, {"Marker", marker}});
  for (const auto& k : rest["Keys"]) ids.push_back(k["KeyId"].get<std::string>());
  ASSERT_EQ(ids.size(), 1100u);
  for (const auto& id : ids) MustCall("ScheduleKeyDeletion", {{"KeyId", id}, {"PendingWindowInDays", 7}});
  AdvanceMs(7 * kDayMs);
  EXPECT_EQ(Sweep(), 1100);
  EXPECT_EQ(MustCall("ListKeys", Json::object())["Keys"].size(), 0u);
}

}  // namespace
}  // namespace coffer::kms::testing

// What happens to keys over time, driven by a FakeClock and the sweeper:
// scheduled deletion, cancellation, automatic and on-demand rotation.
#include <gtest/gtest.h>

#include <string>

#include "kms/kms_test_util.h"

namespace coffer::kms::testing {
namespace {

using LifecycleTest = KmsTest;

double SecondsAt(std::int64_t ms) { return static_cast<double>(ms) / 1000.0; }

// ---- ScheduleKeyDeletion and CancelKeyDeletion ----

TEST_F(LifecycleTest, ScheduleKeyDeletionAcceptsSevenToThirtyDays) {
  for (int days : {7, 30}) {
    const std::string key_id = CreateKeyId();
    const Json scheduled =
        MustCall("ScheduleKeyDeletion", {{"KeyId", key_id}, {"PendingWindowInDays", days}});
    EXPECT_EQ(scheduled["KeyId"], ArnOf(key_id));
    EXPECT_EQ(scheduled["KeyState"], "PendingDeletion");
    EXPECT_EQ(scheduled["PendingWindowInDays"], days);
    EXPECT_DOUBLE_EQ(scheduled["DeletionDate"].get<double>(), SecondsAt(kStartMs + days * kDayMs));
    const Json metadata = Describe(key_id);
    EXPECT_EQ(metadata["KeyState"], "PendingDeletion");
    EXPECT_EQ(metadata["Enabled"], false);
    EXPECT_EQ(metadata["DeletionDate"], scheduled["DeletionDate"]);
  }
}

TEST_F(LifecycleTest, ScheduleKeyDeletionDefaultsToThirtyDays) {
  const std::string key_id = CreateKeyId();
  const Json scheduled = MustCall("ScheduleKeyDeletion", {{"KeyId", key_id}});
  EXPECT_EQ(scheduled["PendingWindowInDays"], 30);
  EXPECT_DOUBLE_EQ(scheduled["DeletionDate"].get<double>(), SecondsAt(kStartMs + 30 * kDayMs));
}

TEST_F(LifecycleTest, ScheduleKeyDeletionRefusesWindowsOutsideSevenToThirtyDays) {
  const std::string key_id = CreateKeyId();
  EXPECT_EQ(CodeOf(Call("ScheduleKeyDeletion", {{"KeyId", key_id}, {"PendingWindowInDays", 6}})),
            ErrorCode::kValidation);
  EXPECT_EQ(CodeOf(Call("ScheduleKeyDeletion", {{"KeyId", key_id}, {"PendingWindowInDays", 31}})),
            ErrorCode::kValidation);
  EXPECT_EQ(Describe(key_id)["KeyState"], "Enabled");
}

TEST_F(LifecycleTest, KeysPendingDeletionRefuseUseAndManagement) {
  const std::string key_id = CreateKeyId();
  const std::string blob = EncryptText(key_id, "old data");
  MustCall("ScheduleKeyDeletion", {{"KeyId", key_id}, {"PendingWindowInDays", 7}});
  EXPECT_EQ(CodeOf(Call("Encrypt", {{"KeyId", key_id}, {"Plaintext", B64("x")}})), ErrorCode::kInvalidState);
  EXPECT_EQ(CodeOf(DecryptBlob(blob)), ErrorCode::kInvalidState);
  EXPECT_EQ(CodeOf(Call("EnableKey", {{"KeyId", key_id}})), ErrorCode::kInvalidState);
  EXPECT_EQ(CodeOf(Call("DisableKey", {{"KeyId", key_id}})), ErrorCode::kInvalidState);
  EXPECT_EQ(CodeOf(Call("ScheduleKeyDeletion", {{"KeyId", key_id}, {"PendingWindowInDays", 7}})),
            ErrorCode::kInvalidState);
  EXPECT_EQ(CodeOf(Call("CreateAlias", {{"AliasName", "alias/late"}, {"TargetKeyId", key_id}})),
            ErrorCode::kInvalidState);
}

TEST_F(LifecycleTest, CancelKeyDeletionLeavesTheKeyDisabled) {
  const std::string key_id = CreateKeyId();
  const std::string blob = EncryptText(key_id, "kept");
  MustCall("ScheduleKeyDeletion", {{"KeyId", key_id}, {"PendingWindowInDays", 7}});
  const Json cancelled = MustCall("CancelKeyDeletion", {{"KeyId", key_id}});
  EXPECT_EQ(cancelled["KeyId"], ArnOf(key_id));
  const Json metadata = Describe(key_id);
  EXPECT_EQ(metadata["KeyState"], "Disabled");
  EXPECT_FALSE(metadata.contains("DeletionDate"));

  AdvanceMs(31 * kDayMs);
  EXPECT_EQ(Sweep(), 0);
  MustCall("EnableKey", {{"KeyId", key_id}});
  auto decrypted = DecryptBlob(blob);
  ASSERT_TRUE(decrypted.ok()) << decrypted.status().ToString();
  EXPECT_EQ(UnB64((*decrypted)["Plaintext"]), "kept");
}

TEST_F(LifecycleTest, CancelKeyDeletionOfAKeyNotPendingDeletionIsInvalidState) {
  const std::string key_id = CreateKeyId();
  EXPECT_EQ(CodeOf(Call("CancelKeyDeletion", {{"KeyId", key_id}})), ErrorCode::kInvalidState);
}

// ---- the sweeper: deletion ----

TEST_F(LifecycleTest, SweeperKeepsTheKeyUntilTheWaitingPeriodEnds) {
  const std::string key_id = CreateKeyId();
  MustCall("ScheduleKeyDeletion", {{"KeyId", key_id}, {"PendingWindowInDays", 7}});
  AdvanceMs(6 * kDayMs);
  EXPECT_EQ(Sweep(), 0);
  EXPECT_EQ(Describe(key_id)["KeyState"], "PendingDeletion");
  AdvanceMs(kDayMs - 1);  // one millisecond short of the deletion date
  EXPECT_EQ(Sweep(), 0);
  EXPECT_EQ(Describe(key_id)["KeyState"], "PendingDeletion");
}

TEST_F(LifecycleTest, SweeperDeletesTheKeyAndItsAliasesWhenTheWaitingPeriodEnds) {
  const std::string key_id = CreateKeyId();
  const std::string survivor = CreateKeyId();
  MustCall("CreateAlias", {{"AliasName", "alias/doomed-1"}, {"TargetKeyId", key_id}});
  MustCall("CreateAlias", {{"AliasName", "alias/doomed-2"}, {"TargetKeyId", key_id}});
  MustCall("CreateAlias", {{"AliasName", "alias/survivor"}, {"TargetKeyId", survivor}});
  const std::string blob = EncryptText(key_id, "soon unreadable");
  Describe("alias/doomed-1");  // both the key and the alias are now cached
  MustCall("ScheduleKeyDeletion", {{"KeyId", key_id}, {"PendingWindowInDays", 7}});

  AdvanceMs(7 * kDayMs + 1);
  EXPECT_EQ(Sweep(), 1);
  EXPECT_EQ(CodeOf(Call("DescribeKey", {{"KeyId", key_id}})), ErrorCode::kNotFound);
  EXPECT_EQ(CodeOf(Call("DescribeKey", {{"KeyId", "alias/doomed-1"}})), ErrorCode::kNotFound);
  EXPECT_EQ(CodeOf(DecryptBlob(blob)), ErrorCode::kInvalidCiphertext);
  const Json aliases = MustCall("ListAliases", Json::object())["Aliases"];
  ASSERT_EQ(aliases.size(), 1u);
  EXPECT_EQ(aliases[0]["AliasName"], "alias/survivor");
  const Json keys = MustCall("ListKeys", Json::object())["Keys"];
  ASSERT_EQ(keys.size(), 1u);
  EXPECT_EQ(keys[0]["KeyId"], survivor);
  // The name is free again.
  EXPECT_EQ(CodeOf(Call("CreateAlias", {{"AliasName", "alias/doomed-1"}, {"TargetKeyId", survivor}})),
            ErrorCode::kOk);
  EXPECT_EQ(Sweep(), 0);
}

// ---- the sweeper: automatic rotation ----

TEST_F(LifecycleTest, EnableKeyRotationSchedulesTheFirstRotation) {
  const std::string key_id = CreateKeyId();
  const Json before = MustCall("GetKeyRotationStatus", {{"KeyId", key_id}});
  EXPECT_EQ(before["KeyRotationEnabled"], false);
  EXPECT_FALSE(before.contains("NextRotationDate"));
  MustCall("EnableKeyRotation", {{"KeyId", key_id}, {"RotationPeriodInDays", 90}});
  const Json after = MustCall("GetKeyRotationStatus", {{"KeyId", key_id}});
  EXPECT_EQ(after["KeyId"], ArnOf(key_id));
  EXPECT_EQ(after["KeyRotationEnabled"], true);
  EXPECT_EQ(after["RotationPeriodInDays"], 90);
  EXPECT_DOUBLE_EQ(after["NextRotationDate"].get<double>(), SecondsAt(kStartMs + 90 * kDayMs));
}

TEST_F(LifecycleTest, TheFirstRotationCountsFromTheDayRotationIsEnabled) {
  // AWS: KMS rotates "RotationPeriodInDays after you enable automatic key
  // rotation", however old the key material already is.
  const std::string old_key = CreateKeyId();
  AdvanceMs(50 * kDayMs);
  const std::string young_key = CreateKeyId();
  AdvanceMs(50 * kDayMs);  // day 100: old_key's material is 100 days old, young_key's 50
  const std::int64_t enabled_at = kStartMs + 100 * kDayMs;
  for (const std::string& key_id : {old_key, young_key}) {
    MustCall("EnableKeyRotation", {{"KeyId", key_id}, {"RotationPeriodInDays", 90}});
    EXPECT_DOUBLE_EQ(MustCall("GetKeyRotationStatus", {{"KeyId", key_id}})["NextRotationDate"].get<double>(),
                     SecondsAt(enabled_at + 90 * kDayMs));
  }
  AdvanceMs(kDayMs);
  EXPECT_EQ(Sweep(), 0);
  AdvanceMs(89 * kDayMs);  // day 190
  EXPECT_EQ(Sweep(), 2);
}

TEST_F(LifecycleTest, ChangingThePeriodOfARotatingKeyKeepsItsStartingPoint) {
  const std::string key_id = CreateKeyId();
  MustCall("EnableKeyRotation", {{"KeyId", key_id}});  // default: 365 days
  EXPECT_DOUBLE_EQ(MustCall("GetKeyRotationStatus", {{"KeyId", key_id}})["NextRotationDate"].get<double>(),
                   SecondsAt(kStartMs + 365 * kDayMs));
  AdvanceMs(10 * kDayMs);
  MustCall("EnableKeyRotation", {{"KeyId", key_id}, {"RotationPeriodInDays", 90}});
  const Json status = MustCall("GetKeyRotationStatus", {{"KeyId", key_id}});
  EXPECT_EQ(status["RotationPeriodInDays"], 90);
  EXPECT_DOUBLE_EQ(status["NextRotationDate"].get<double>(), SecondsAt(kStartMs + 90 * kDayMs));
}

TEST_F(LifecycleTest, SweeperRotatesWhenTheRotationPeriodHasPassed) {
  const std::string key_id = CreateKeyId();
  const std::string original_material = Describe(key_id)["CurrentKeyMaterialId"].get<std::string>();
  const std::string old_blob = EncryptText(key_id, "written before rotation");
  MustCall("EnableKeyRotation", {{"KeyId", key_id}, {"RotationPeriodInDays", 90}});

  AdvanceMs(89 * kDayMs);
  EXPECT_EQ(Sweep(), 0);
  EXPECT_TRUE(MustCall("ListKeyRotations", {{"KeyId", key_id}})["Rotations"].empty());

  AdvanceMs(2 * kDayMs);  // day 91
  const std::int64_t rotated_at = kStartMs + 91 * kDayMs;
  EXPECT_EQ(Sweep(), 1);
  const Json rotations = MustCall("ListKeyRotations", {{"KeyId", key_id}})["Rotations"];
  ASSERT_EQ(rotations.size(), 1u);
  EXPECT_EQ(rotations[0]["RotationType"], "AUTOMATIC");
  EXPECT_EQ(rotations[0]["KeyId"], ArnOf(key_id));
  EXPECT_DOUBLE_EQ(rotations[0]["RotationDate"].get<double>(), SecondsAt(rotated_at));
  const std::string new_material = rotations[0]["KeyMaterialId"].get<std::string>();
  EXPECT_TRUE(IsLowerHex(new_material, 64));
  EXPECT_NE(new_material, original_material);
  EXPECT_EQ(Describe(key_id)["CurrentKeyMaterialId"], new_material);

  auto old_plain = DecryptBlob(old_blob);
  ASSERT_TRUE(old_plain.ok()) << old_plain.status().ToString();
  EXPECT_EQ(UnB64((*old_plain)["Plaintext"]), "written before rotation");
  EXPECT_EQ((*old_plain)["KeyMaterialId"], original_material);

  auto new_plain = DecryptBlob(EncryptText(key_id, "written after rotation"));
  ASSERT_TRUE(new_plain.ok());
  EXPECT_EQ((*new_plain)["KeyMaterialId"], new_material);

  const Json status = MustCall("GetKeyRotationStatus", {{"KeyId", key_id}});
  EXPECT_DOUBLE_EQ(status["NextRotationDate"].get<double>(), SecondsAt(rotated_at + 90 * kDayMs));
  EXPECT_EQ(Sweep(), 0);  // not due again until then
}

TEST_F(LifecycleTest, ListKeyRotationsCanIncludeTheOriginalMaterial) {
  const std::string key_id = CreateKeyId();
  const std::string original_material = Describe(key_id)["CurrentKeyMaterialId"].get<std::string>();
  MustCall("EnableKeyRotation", {{"KeyId", key_id}, {"RotationPeriodInDays", 90}});
  AdvanceMs(91 * kDayMs);
  EXPECT_EQ(Sweep(), 1);
  const Json all =
      MustCall("ListKeyRotations", {{"KeyId", key_id}, {"IncludeKeyMaterial", "ALL_KEY_MATERIAL"}});
  ASSERT_EQ(all["Rotations"].size(), 2u);
  EXPECT_EQ(all["Rotations"][0]["KeyMaterialId"], original_material);
  EXPECT_FALSE(all["Rotations"][0].contains("RotationType"));
  EXPECT_EQ(all["Rotations"][1]["RotationType"], "AUTOMATIC");
}

TEST_F(LifecycleTest, DisabledKeysAreNotRotated) {
  const std::string key_id = CreateKeyId();
  const std::string material = Describe(key_id)["CurrentKeyMaterialId"].get<std::string>();
  MustCall("EnableKeyRotation", {{"KeyId", key_id}, {"RotationPeriodInDays", 90}});
  MustCall("DisableKey", {{"KeyId", key_id}});
  AdvanceMs(91 * kDayMs);
  EXPECT_EQ(Sweep(), 0);
  EXPECT_EQ(Describe(key_id)["CurrentKeyMaterialId"], material);
  EXPECT_TRUE(MustCall("ListKeyRotations", {{"KeyId", key_id}})["Rotations"].empty());
}

TEST_F(LifecycleTest, KeysWithRotationDisabledAreNotRotated) {
  const std::string key_id = CreateKeyId();
  MustCall("EnableKeyRotation", {{"KeyId", key_id}, {"RotationPeriodInDays", 90}});
  MustCall("DisableKeyRotation", {{"KeyId", key_id}});
  EXPECT_EQ(MustCall("GetKeyRotationStatus", {{"KeyId", key_id}})["KeyRotationEnabled"], false);
  AdvanceMs(400 * kDayMs);
  EXPECT_EQ(Sweep(), 0);
}

TEST_F(LifecycleTest, RotationSettingsNeedAnEnabledKey) {
  const std::string key_id = CreateKeyId();
  MustCall("DisableKey", {{"KeyId", key_id}});
  EXPECT_EQ(CodeOf(Call("EnableKeyRotation", {{"KeyId", key_id}})), ErrorCode::kDisabled);
  EXPECT_EQ(CodeOf(Call("RotateKeyOnDemand", {{"KeyId", key_id}})), ErrorCode::kDisabled);
}

// ---- on-demand rotation ----

TEST_F(LifecycleTest, RotateKeyOnDemandAddsMaterialUpToTenTimes) {
  const std::string key_id = CreateKeyId();
  const std::string first_blob = EncryptText(key_id, "generation 0");
  for (int i = 0; i < 10; ++i) {
    EXPECT_EQ(MustCall("RotateKeyOnDemand", {{"KeyId", key_id}})["KeyId"], ArnOf(key_id)) << i;
  }
  EXPECT_EQ(CodeOf(Call("RotateKeyOnDemand", {{"KeyId", key_id}})), ErrorCode::kLimitExceeded);

  const Json rotations = MustCall("ListKeyRotations", {{"KeyId", key_id}})["Rotations"];
  ASSERT_EQ(rotations.size(), 10u);
  for (const Json& rotation : rotations) EXPECT_EQ(rotation["RotationType"], "ON_DEMAND");
  EXPECT_EQ(Describe(key_id)["CurrentKeyMaterialId"], rotations[9]["KeyMaterialId"]);
  auto decrypted = DecryptBlob(first_blob);
  ASSERT_TRUE(decrypted.ok());
  EXPECT_EQ(UnB64((*decrypted)["Plaintext"]), "generation 0");
}

TEST_F(LifecycleTest, ListKeyRotationsPages) {
  const std::string key_id = CreateKeyId();
  for (int i = 0; i < 5; ++i) MustCall("RotateKeyOnDemand", {{"KeyId", key_id}});
  std::vector<std::string> seen;
  Json request = {{"KeyId", key_id}, {"Limit", 2}};
  for (int page_count = 0; page_count < 10; ++page_count) {
    const Json page = MustCall("ListKeyRotations", request);
    for (const Json& rotation : page["Rotations"])
      seen.push_back(rotation["KeyMaterialId"].get<std::string>());
    if (!page["Truncated"].get<bool>()) break;
    request["Marker"] = page["NextMarker"];
  }
  ASSERT_EQ(seen.size(), 5u);
  const Json all = MustCall("ListKeyRotations", {{"KeyId", key_id}})["Rotations"];
  for (std::size_t i = 0; i < seen.size(); ++i) EXPECT_EQ(seen[i], all[i]["KeyMaterialId"]);
  EXPECT_EQ(CodeOf(Call("ListKeyRotations", {{"KeyId", key_id}, {"Marker", B64("not-a-number")}})),
            ErrorCode::kInvalidMarker);
}

}  // namespace
}  // namespace coffer::kms::testing

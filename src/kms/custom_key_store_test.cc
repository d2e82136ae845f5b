// Custom key store records, ids, the --cloudhsm-cluster syntax, and the
// registry's behaviour for a store type no backend was registered for.
#include "kms/custom_key_store.h"

#include <gtest/gtest.h>

#include "kms/kms_test_util.h"

namespace coffer::kms {
namespace {

using testing::CodeOf;

CustomKeyStoreRecord CloudHsmRecord() {
  CustomKeyStoreRecord r;
  r.id = "cks-0123456789abcdef0";
  r.account = "111122223333";
  r.region = "us-east-1";
  r.name = "ExampleStore";
  r.type = std::string(kTypeCloudHsm);
  r.state = std::string(kFailed);
  r.connection_error_code = "INVALID_CREDENTIALS";
  r.created_ms = 1'704'067'200'000;
  r.cloud_hsm_cluster_id = "cluster-abcdefghijk";
  r.trust_anchor_certificate = "-----BEGIN CERTIFICATE-----\n...";
  r.wrapped_key_store_password = Bytes{1, 2, 3};
  return r;
}

TEST(CustomKeyStoreRecord, CloudHsmRoundTrip) {
  const CustomKeyStoreRecord r = CloudHsmRecord();
  auto decoded = DecodeCustomKeyStoreRecord(EncodeCustomKeyStoreRecord(r));
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_EQ(decoded->id, r.id);
  EXPECT_EQ(decoded->name, r.name);
  EXPECT_EQ(decoded->state, "FAILED");
  EXPECT_EQ(decoded->connection_error_code, "INVALID_CREDENTIALS");
  EXPECT_EQ(decoded->cloud_hsm_cluster_id, r.cloud_hsm_cluster_id);
  EXPECT_EQ(decoded->trust_anchor_certificate, r.trust_anchor_certificate);
  EXPECT_EQ(decoded->wrapped_key_store_password, r.wrapped_key_store_password);
  EXPECT_EQ(decoded->created_ms, r.created_ms);
}

TEST(CustomKeyStoreRecord, ExternalRoundTrip) {
  CustomKeyStoreRecord r = CloudHsmRecord();
  r.type = std::string(kTypeExternalKeyStore);
  r.xks_proxy_uri_endpoint = "https://xks.example.com";
  r.xks_proxy_uri_path = "/kms/xks/v1";
  r.xks_proxy_connectivity = "PUBLIC_ENDPOINT";
  r.xks_proxy_access_key_id = "ABCDEFGHIJKLMNOPQRST";
  r.wrapped_xks_proxy_secret = Bytes{9, 8, 7};
  auto decoded = DecodeCustomKeyStoreRecord(EncodeCustomKeyStoreRecord(r));
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(decoded->xks_proxy_uri_endpoint, r.xks_proxy_uri_endpoint);
  EXPECT_EQ(decoded->xks_proxy_uri_path, r.xks_proxy_uri_path);
  EXPECT_EQ(decoded->xks_proxy_connectivity, r.xks_proxy_connectivity);
  EXPECT_EQ(decoded->xks_proxy_access_key_id, r.xks_proxy_access_key_id);
  EXPECT_EQ(decoded->wrapped_xks_proxy_secret, r.wrapped_xks_proxy_secret);
  EXPECT_TRUE(decoded->cloud_hsm_cluster_id.empty());
}

TEST(CustomKeyStoreRecord, CorruptTextIsAnInternalError) {
  EXPECT_EQ(CodeOf(DecodeCustomKeyStoreRecord("not json")), ErrorCode::kInternal);
  EXPECT_EQ(CodeOf(DecodeCustomKeyStoreRecord(R"({"id":"cks-1"})")), ErrorCode::kInternal);
  auto bad_secret = nlohmann::json::parse(EncodeCustomKeyStoreRecord(CloudHsmRecord()));
  bad_secret["wrapped_key_store_password"] = "%%%";
  EXPECT_EQ(CodeOf(DecodeCustomKeyStoreRecord(bad_secret.dump())), ErrorCode::kInternal);
}

TEST(CustomKeyStoreRecord, SecretAadNamesTheStore) {
  EXPECT_EQ(CustomKeyStoreSecretAad(CloudHsmRecord()),
            "coffer:custom-key-store:us-east-1/111122223333/cks-0123456789abcdef0");
}

TEST(CustomKeyStoreId, LooksLikeAwsIds) {
  crypto::OsRandom random;
  auto id = NewCustomKeyStoreId(random);
  ASSERT_TRUE(id.ok());
  ASSERT_EQ(id->size(), 21u);
  EXPECT_EQ(id->substr(0, 4), "cks-");
  EXPECT_TRUE(testing::IsLowerHex(id->substr(4), 17)) << *id;
}

TEST(CloudHsmClusterSpec, ParsesIdModuleAndLabel) {
  auto cluster = ParseCloudHsmCluster("cluster-abcdefghijk=/usr/lib/softhsm/libsofthsm2.so:my:token");
  ASSERT_TRUE(cluster.ok()) << cluster.status().ToString();
  EXPECT_EQ(cluster->id, "cluster-abcdefghijk");
  EXPECT_EQ(cluster->module, "/usr/lib/softhsm/libsofthsm2.so");
  EXPECT_EQ(cluster->token_label, "my:token");  // the first ':' ends the path
}

TEST(CloudHsmClusterSpec, RejectsMalformedSpecs) {
  for (const char* spec : {"", "cluster-abcdefghijk", "cluster-abcdefghijk=/lib.so", "=/lib.so:label",
                           "cluster-abcdefghijk=:label", "cluster-abcdefghijk=/lib.so:"}) {
    EXPECT_EQ(CodeOf(ParseCloudHsmCluster(spec)), ErrorCode::kValidation) << spec;
  }
}

TEST(CloudHsmClusterSpec, RejectsIdsAwsWouldNotIssue) {
  // Too short, wrong prefix, and a character outside [2-7a-zA-Z].
  for (const char* id : {"cluster-abc", "klaster-abcdefghijk", "cluster-abcdefghij1"}) {
    EXPECT_EQ(CodeOf(ParseCloudHsmCluster(std::string(id) + "=/lib.so:label")), ErrorCode::kValidation) << id;
  }
}

class RegistryTest : public testing::KmsTest {
 protected:
  CustomKeyStores stores_{*store_, keys_};
};

TEST_F(RegistryTest, AStoreTypeWithoutABackendFailsToConnectWithInternalError) {
  CustomKeyStoreRecord r = CloudHsmRecord();
  r.type = std::string(kTypeExternalKeyStore);
  r.wrapped_xks_proxy_secret = *stores_.WrapSecret(r, AsBytes(std::string_view("secret")));
  auto failure = stores_.Connect(r);
  ASSERT_TRUE(failure.has_value());
  EXPECT_EQ(failure->code, "INTERNAL_ERROR");
}

TEST_F(RegistryTest, GetOfAnUnknownStoreIsCustomKeyStoreNotFound) {
  EXPECT_EQ(CodeOf(stores_.Get("us-east-1", "111122223333", "cks-00000000000000000")),
            ErrorCode::kCustomKeyStoreNotFound);
}

TEST_F(RegistryTest, ListIsPerAccountAndRegion) {
  CustomKeyStoreRecord a = CloudHsmRecord();
  CustomKeyStoreRecord b = CloudHsmRecord();
  b.id = "cks-11111111111111111";
  b.account = "444455556666";
  ASSERT_TRUE(stores_.Put(a).ok());
  ASSERT_TRUE(stores_.Put(b).ok());
  auto listed = stores_.List("us-east-1", "111122223333");
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ(listed->front().id, a.id);
}

}  // namespace
}  // namespace coffer::kms

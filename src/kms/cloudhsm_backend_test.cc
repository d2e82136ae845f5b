// AWS_CLOUDHSM custom key stores end to end through the KMS operations, on a
// real SoftHSM2 token: the management operations and their state rules, keys
// generated in the token, crypto done there, and what a disconnected store
// refuses.
#include "kms/cloudhsm_backend.h"

#include <gtest/gtest.h>

#include <array>
#include <filesystem>

#include "kms/kms_test_util.h"
#include "pkcs11/library.h"
#include "pkcs11/softhsm_test_util.h"

namespace coffer::kms {
namespace {

using pkcs11::testing::kSoftHsmModule;
using pkcs11::testing::kUserPin;
using testing::B64;
using testing::CodeOf;
using testing::UnB64;

constexpr const char* kCluster = "cluster-abcdefghijk";
constexpr const char* kSameTokenCluster = "cluster-abcdefghijm";  // another id for the same token
constexpr const char* kOtherCluster = "cluster-zyxwvutsrqp";
constexpr const char* kMissingTokenCluster = "cluster-mmmmmmmmmmm";

// A self-signed certificate (openssl req -x509, P-256): PEM armour and one DER SEQUENCE.
constexpr const char* kTrustAnchor =
    "-----BEGIN CERTIFICATE-----\n"
    "MIIBgjCCASmgAwIBAgIUG+fjUukcoU+xbg+Q78VEyTPy+DgwCgYIKoZIzj0EAwIw\n"
    "FzEVMBMGA1UEAwwMdHJ1c3QtYW5jaG9yMB4XDTI2MTIwNzEwMDUzNloXDTM2MTIw\n"
    "NDEwMDUzNlowFzEVMBMGA1UEAwwMdHJ1c3QtYW5jaG9yMFkwEwYHKoZIzj0CAQYI\n"
    "KoZIzj0DAQcDQgAEagbt83QXwZ42aQ0dJHiAy7gA9/u306MW075EQ9GtSdXJMcI4\n"
    "SY6jvSOWWmewOW9irtiKIjNAmm2WYh44gKVWx6NTMFEwHQYDVR0OBBYEFDs6fPy+\n"
    "V+//71X16V09TvcvIolOMB8GA1UdIwQYMBaAFDs6fPy+V+//71X16V09TvcvIolO\n"
    "MA8GA1UdEwEB/wQFMAMBAf8wCgYIKoZIzj0EAwIDRwAwRAIgAyS6RjR3W4O1ZKgS\n"
    "DexMnfIdbMTftsDhtY1mzv7hfUQCIH+abpUXb18JWhvc6R6u8RvwEo5Dp6OsWuTw\n"
    "YNfyCTb1\n"
    "-----END CERTIFICATE-----\n";

class CloudHsmStoreTest : public testing::KmsTest {
 protected:
  void SetUp() override {
    hsm_.InitToken("cks-a");
    hsm_.InitToken("cks-b");
    const std::vector<CloudHsmCluster> clusters = {
        {kCluster, kSoftHsmModule, "cks-a"},
        {kSameTokenCluster, kSoftHsmModule, "cks-a"},
        {kOtherCluster, kSoftHsmModule, "cks-b"},
        {kMissingTokenCluster, kSoftHsmModule, "no-such-token"},
    };
    RegisterCloudHsm(stores_, clusters, random_);
    kms_.SetCustomKeyStores(&stores_);
  }

  Json CreateRequest(std::string_view name, std::string_view cluster = kCluster,
                     std::string_view password = kUserPin) {
    return {{"CustomKeyStoreName", name},
            {"CloudHsmClusterId", cluster},
            {"TrustAnchorCertificate", kTrustAnchor},
            {"KeyStorePassword", password}};
  }
  std::string CreateStore(std::string_view name, std::string_view password = kUserPin) {
    return MustCall("CreateCustomKeyStore", CreateRequest(name, kCluster, password))["CustomKeyStoreId"];
  }
  Json DescribeStore(const std::string& id) {
    return MustCall("DescribeCustomKeyStores", {{"CustomKeyStoreId", id}})["CustomKeyStores"][0];
  }
  std::string ConnectedStore() {
    const std::string id = CreateStore("hsm");
    MustCall("ConnectCustomKeyStore", {{"CustomKeyStoreId", id}});
    return id;
  }
  std::string CreateHsmKey(const std::string& store_id) {
    return CreateKeyId({{"Origin", "AWS_CLOUDHSM"}, {"CustomKeyStoreId", store_id}});
  }

  // Secret keys on token `label` whose CKA_LABEL is `key_label`, seen by a
  // session of our own.
  int TokenKeysLabelled(const std::string& label, const std::string& key_label) {
    auto library = pkcs11::Library::Open(kSoftHsmModule);
    EXPECT_TRUE(library.ok());
    auto slot = (*library)->FindTokenSlot(label);
    EXPECT_TRUE(slot.ok());
    CK_FUNCTION_LIST& fn = *(*library)->fn();
    CK_SESSION_HANDLE session = CK_INVALID_HANDLE;
    EXPECT_EQ(fn.C_OpenSession(*slot, CKF_SERIAL_SESSION, nullptr, nullptr, &session), CKR_OK);
    std::string pin = kUserPin;
    const CK_RV login = fn.C_Login(session, CKU_USER, reinterpret_cast<CK_UTF8CHAR*>(pin.data()), pin.size());
    EXPECT_TRUE(login == CKR_OK || login == CKR_USER_ALREADY_LOGGED_IN);
    std::string wanted = key_label;
    CK_ATTRIBUTE query{CKA_LABEL, wanted.data(), wanted.size()};
    EXPECT_EQ(fn.C_FindObjectsInit(session, &query, 1), CKR_OK);
    std::array<CK_OBJECT_HANDLE, 4> found{};
    CK_ULONG count = 0;
    EXPECT_EQ(fn.C_FindObjects(session, found.data(), found.size(), &count), CKR_OK);
    fn.C_FindObjectsFinal(session);
    fn.C_CloseSession(session);
    return static_cast<int>(count);
  }

  pkcs11::testing::SoftHsm hsm_;
  CustomKeyStores stores_{*store_, keys_};
};

TEST_F(CloudHsmStoreTest, ANewStoreIsDisconnectedAndShowsWhatItWasGiven) {
  const std::string id = CreateStore("hsm");
  EXPECT_EQ(id.substr(0, 4), "cks-");
  const Json entry = DescribeStore(id);
  EXPECT_EQ(entry["CustomKeyStoreName"], "hsm");
  EXPECT_EQ(entry["CustomKeyStoreType"], "AWS_CLOUDHSM");
  EXPECT_EQ(entry["CloudHsmClusterId"], kCluster);
  EXPECT_EQ(entry["TrustAnchorCertificate"], kTrustAnchor);
  EXPECT_EQ(entry["ConnectionState"], "DISCONNECTED");
  EXPECT_FALSE(entry.contains("ConnectionErrorCode"));
  EXPECT_EQ(entry.dump().find(kUserPin), std::string::npos) << "the password is never returned";
}

TEST_F(CloudHsmStoreTest, KeysAreGeneratedAndUsedInsideTheToken) {
  const std::string store_id = ConnectedStore();
  EXPECT_EQ(DescribeStore(store_id)["ConnectionState"], "CONNECTED");
  const std::string key_id = CreateHsmKey(store_id);
  const Json metadata = Describe(key_id);
  EXPECT_EQ(metadata["Origin"], "AWS_CLOUDHSM");
  EXPECT_EQ(metadata["CustomKeyStoreId"], store_id);
  EXPECT_EQ(metadata["CloudHsmClusterId"], kCluster);
  EXPECT_EQ(TokenKeysLabelled("cks-a", key_id), 1);
  auto loaded = keys_.Load(testing::kRegion, testing::kAccount, key_id);
  ASSERT_TRUE(loaded.ok());
  EXPECT_TRUE((*loaded)->record.Current().wrapped.empty()) << "no material outside the token";
  EXPECT_TRUE((*loaded)->material.empty());

  const Json context = {{"purpose", "hsm"}};
  const std::string blob = EncryptText(key_id, "attack at dawn", context);
  auto opened = DecryptBlob(blob, context);
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  EXPECT_EQ(UnB64((*opened)["Plaintext"]), "attack at dawn");
  EXPECT_EQ((*opened)["KeyId"], ArnOf(key_id));
  EXPECT_EQ(CodeOf(DecryptBlob(blob, {{"purpose", "other"}})), ErrorCode::kInvalidCiphertext);
  Bytes tampered = testing::BlobOf(blob);
  tampered[tampered.size() - 20] ^= 1;
  EXPECT_EQ(CodeOf(DecryptBlob(Base64Encode(tampered), context)), ErrorCode::kInvalidCiphertext);
}

TEST_F(CloudHsmStoreTest, DataKeysAndReEncryptCrossBetweenTokenAndSoftwareKeys) {
  const std::string hsm_key = CreateHsmKey(ConnectedStore());
  const std::string soft_key = CreateKeyId();
  const Json data_key = MustCall("GenerateDataKey", {{"KeyId", hsm_key}, {"KeySpec", "AES_256"}});
  auto opened = DecryptBlob(data_key["CiphertextBlob"].get<std::string>());
  ASSERT_TRUE(opened.ok());
  EXPECT_EQ((*opened)["Plaintext"], data_key["Plaintext"]);
  const Json moved =
      MustCall("ReEncrypt", {{"CiphertextBlob", data_key["CiphertextBlob"]}, {"DestinationKeyId", soft_key}});
  const Json back =
      MustCall("ReEncrypt", {{"CiphertextBlob", moved["CiphertextBlob"]}, {"DestinationKeyId", hsm_key}});
  auto final_open = DecryptBlob(back["CiphertextBlob"].get<std::string>());
  ASSERT_TRUE(final_open.ok());
  EXPECT_EQ((*final_open)["Plaintext"], data_key["Plaintext"]);
  EXPECT_EQ((*final_open)["KeyId"], ArnOf(hsm_key));
}

TEST_F(CloudHsmStoreTest, GenerateRandomDrawsFromTheToken) {
  const std::string store_id = ConnectedStore();
  const Json out = MustCall("GenerateRandom", {{"NumberOfBytes", 48}, {"CustomKeyStoreId", store_id}});
  EXPECT_EQ(UnB64(out["Plaintext"]).size(), 48u);
  EXPECT_EQ(
      CodeOf(Call("GenerateRandom", {{"NumberOfBytes", 8}, {"CustomKeyStoreId", "cks-00000000000000000"}})),
      ErrorCode::kCustomKeyStoreNotFound);
}

TEST_F(CloudHsmStoreTest, ADisconnectedStoreRefusesCryptoKeysAndRandom) {
  const std::string store_id = ConnectedStore();
  const std::string key_id = CreateHsmKey(store_id);
  const std::string blob = EncryptText(key_id, "kept");
  MustCall("DisconnectCustomKeyStore", {{"CustomKeyStoreId", store_id}});
  EXPECT_EQ(CodeOf(Call("Encrypt", {{"KeyId", key_id}, {"Plaintext", B64("x")}})), ErrorCode::kInvalidState);
  EXPECT_EQ(CodeOf(DecryptBlob(blob)), ErrorCode::kInvalidState);
  EXPECT_EQ(CodeOf(Call("CreateKey", {{"Origin", "AWS_CLOUDHSM"}, {"CustomKeyStoreId", store_id}})),
            ErrorCode::kCustomKeyStoreInvalidState);
  EXPECT_EQ(CodeOf(Call("GenerateRandom", {{"NumberOfBytes", 8}, {"CustomKeyStoreId", store_id}})),
            ErrorCode::kCustomKeyStoreInvalidState);
  EXPECT_EQ(CodeOf(Call("DisconnectCustomKeyStore", {{"CustomKeyStoreId", store_id}})),
            ErrorCode::kCustomKeyStoreInvalidState);
  // Reconnected, the old ciphertext opens again.
  MustCall("ConnectCustomKeyStore", {{"CustomKeyStoreId", store_id}});
  auto opened = DecryptBlob(blob);
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  EXPECT_EQ(UnB64((*opened)["Plaintext"]), "kept");
}

TEST_F(CloudHsmStoreTest, AWrongPasswordFailsWithInvalidCredentialsUntilUpdated) {
  const std::string id = CreateStore("hsm", "wrong-pin-0");
  MustCall("ConnectCustomKeyStore", {{"CustomKeyStoreId", id}});
  Json entry = DescribeStore(id);
  EXPECT_EQ(entry["ConnectionState"], "FAILED");
  EXPECT_EQ(entry["ConnectionErrorCode"], "INVALID_CREDENTIALS");
  EXPECT_EQ(CodeOf(Call("ConnectCustomKeyStore", {{"CustomKeyStoreId", id}})),
            ErrorCode::kCustomKeyStoreInvalidState);
  EXPECT_EQ(CodeOf(Call("UpdateCustomKeyStore", {{"CustomKeyStoreId", id}, {"KeyStorePassword", kUserPin}})),
            ErrorCode::kCustomKeyStoreInvalidState);
  MustCall("DisconnectCustomKeyStore", {{"CustomKeyStoreId", id}});
  MustCall("UpdateCustomKeyStore", {{"CustomKeyStoreId", id}, {"KeyStorePassword", kUserPin}});
  MustCall("ConnectCustomKeyStore", {{"CustomKeyStoreId", id}});
  entry = DescribeStore(id);
  EXPECT_EQ(entry["ConnectionState"], "CONNECTED");
  EXPECT_FALSE(entry.contains("ConnectionErrorCode"));
}

TEST_F(CloudHsmStoreTest, AMissingTokenFailsWithClusterNotFound) {
  const std::string id =
      MustCall("CreateCustomKeyStore", CreateRequest("gone", kMissingTokenCluster))["CustomKeyStoreId"];
  MustCall("ConnectCustomKeyStore", {{"CustomKeyStoreId", id}});
  EXPECT_EQ(DescribeStore(id)["ConnectionErrorCode"], "CLUSTER_NOT_FOUND");
}

TEST_F(CloudHsmStoreTest, CreateChecksNameClusterAndTrustAnchor) {
  CreateStore("hsm");
  EXPECT_EQ(CodeOf(Call("CreateCustomKeyStore", CreateRequest("hsm", kOtherCluster))),
            ErrorCode::kCustomKeyStoreNameInUse);
  EXPECT_EQ(CodeOf(Call("CreateCustomKeyStore", CreateRequest("second", kCluster))),
            ErrorCode::kCloudHsmClusterInUse);
  EXPECT_EQ(CodeOf(Call("CreateCustomKeyStore", CreateRequest("second", kSameTokenCluster))),
            ErrorCode::kCloudHsmClusterInUse);
  EXPECT_EQ(CodeOf(Call("CreateCustomKeyStore", CreateRequest("second", "cluster-nnnnnnnnnnn"))),
            ErrorCode::kCloudHsmClusterNotFound);
  Json bad_anchor = CreateRequest("second", kOtherCluster);
  bad_anchor["TrustAnchorCertificate"] = "not a certificate";
  EXPECT_EQ(CodeOf(Call("CreateCustomKeyStore", bad_anchor)), ErrorCode::kIncorrectTrustAnchor);
  Json no_password = CreateRequest("second", kOtherCluster);
  no_password.erase("KeyStorePassword");
  EXPECT_EQ(CodeOf(Call("CreateCustomKeyStore", no_password)), ErrorCode::kValidation);
  Json mixed = CreateRequest("second", kOtherCluster);
  mixed["XksProxyUriPath"] = "/kms/xks/v1";
  EXPECT_EQ(CodeOf(Call("CreateCustomKeyStore", mixed)), ErrorCode::kValidation);
}

TEST_F(CloudHsmStoreTest, UpdateRulesForNamesAndClusters) {
  const std::string id = ConnectedStore();
  MustCall("UpdateCustomKeyStore", {{"CustomKeyStoreId", id}, {"NewCustomKeyStoreName", "renamed"}});
  EXPECT_EQ(DescribeStore(id)["CustomKeyStoreName"], "renamed");
  EXPECT_EQ(CodeOf(Call("UpdateCustomKeyStore",
                        {{"CustomKeyStoreId", id}, {"CloudHsmClusterId", kSameTokenCluster}})),
            ErrorCode::kCustomKeyStoreInvalidState);
  MustCall("DisconnectCustomKeyStore", {{"CustomKeyStoreId", id}});
  EXPECT_EQ(
      CodeOf(Call("UpdateCustomKeyStore", {{"CustomKeyStoreId", id}, {"CloudHsmClusterId", kOtherCluster}})),
      ErrorCode::kCloudHsmClusterNotRelated);
  MustCall("UpdateCustomKeyStore", {{"CustomKeyStoreId", id}, {"CloudHsmClusterId", kSameTokenCluster}});
  EXPECT_EQ(DescribeStore(id)["CloudHsmClusterId"], kSameTokenCluster);
  MustCall("CreateCustomKeyStore", CreateRequest("other", kOtherCluster));
  EXPECT_EQ(
      CodeOf(Call("UpdateCustomKeyStore", {{"CustomKeyStoreId", id}, {"NewCustomKeyStoreName", "other"}})),
      ErrorCode::kCustomKeyStoreNameInUse);
}

TEST_F(CloudHsmStoreTest, DeleteNeedsADisconnectedStoreWithoutKeys) {
  const std::string store_id = ConnectedStore();
  const std::string key_id = CreateHsmKey(store_id);
  EXPECT_EQ(CodeOf(Call("DeleteCustomKeyStore", {{"CustomKeyStoreId", store_id}})),
            ErrorCode::kCustomKeyStoreInvalidState);
  MustCall("ScheduleKeyDeletion", {{"KeyId", key_id}, {"PendingWindowInDays", 7}});
  MustCall("DisconnectCustomKeyStore", {{"CustomKeyStoreId", store_id}});
  EXPECT_EQ(CodeOf(Call("DeleteCustomKeyStore", {{"CustomKeyStoreId", store_id}})),
            ErrorCode::kCustomKeyStoreHasCmks);
  // The key's deletion, once connected again, destroys the token object too.
  MustCall("ConnectCustomKeyStore", {{"CustomKeyStoreId", store_id}});
  AdvanceMs(8 * testing::kDayMs);
  EXPECT_EQ(Sweep(), 1);
  EXPECT_EQ(TokenKeysLabelled("cks-a", key_id), 0);
  MustCall("DisconnectCustomKeyStore", {{"CustomKeyStoreId", store_id}});
  MustCall("DeleteCustomKeyStore", {{"CustomKeyStoreId", store_id}});
  EXPECT_EQ(CodeOf(Call("DescribeCustomKeyStores", {{"CustomKeyStoreId", store_id}})),
            ErrorCode::kCustomKeyStoreNotFound);
}

TEST_F(CloudHsmStoreTest, DescribePagesAndFiltersByName) {
  CreateStore("a");
  MustCall("CreateCustomKeyStore", CreateRequest("b", kOtherCluster));
  const Json first = MustCall("DescribeCustomKeyStores", {{"Limit", 1}});
  ASSERT_EQ(first["CustomKeyStores"].size(), 1u);
  EXPECT_TRUE(first["Truncated"].get<bool>());
  const Json second = MustCall("DescribeCustomKeyStores", {{"Limit", 1}, {"Marker", first["NextMarker"]}});
  ASSERT_EQ(second["CustomKeyStores"].size(), 1u);
  EXPECT_FALSE(second["Truncated"].get<bool>());
  EXPECT_NE(first["CustomKeyStores"][0]["CustomKeyStoreId"],
            second["CustomKeyStores"][0]["CustomKeyStoreId"]);
  const Json by_name = MustCall("DescribeCustomKeyStores", {{"CustomKeyStoreName", "b"}});
  ASSERT_EQ(by_name["CustomKeyStores"].size(), 1u);
  EXPECT_EQ(by_name["CustomKeyStores"][0]["CloudHsmClusterId"], kOtherCluster);
  EXPECT_EQ(CodeOf(Call("DescribeCustomKeyStores", {{"CustomKeyStoreName", "zzz"}})),
            ErrorCode::kCustomKeyStoreNotFound);
  EXPECT_EQ(CodeOf(Call("DescribeCustomKeyStores", {{"Marker", "%%%"}})), ErrorCode::kInvalidMarker);
}

TEST_F(CloudHsmStoreTest, KeysInTheStoreDoNotRotate) {
  const std::string key_id = CreateHsmKey(ConnectedStore());
  EXPECT_EQ(CodeOf(Call("EnableKeyRotation", {{"KeyId", key_id}})), ErrorCode::kUnsupportedOperation);
  EXPECT_EQ(CodeOf(Call("RotateKeyOnDemand", {{"KeyId", key_id}})), ErrorCode::kUnsupportedOperation);
}

TEST_F(CloudHsmStoreTest, CreateKeyChecksOriginStoreAndSpec) {
  const std::string store_id = ConnectedStore();
  EXPECT_EQ(CodeOf(Call("CreateKey", {{"Origin", "AWS_CLOUDHSM"}})), ErrorCode::kValidation);
  EXPECT_EQ(CodeOf(Call("CreateKey", {{"CustomKeyStoreId", store_id}})), ErrorCode::kValidation);
  EXPECT_EQ(
      CodeOf(Call("CreateKey", {{"Origin", "AWS_CLOUDHSM"}, {"CustomKeyStoreId", "cks-00000000000000000"}})),
      ErrorCode::kCustomKeyStoreNotFound);
  EXPECT_EQ(
      CodeOf(Call("CreateKey",
                  {{"Origin", "EXTERNAL_KEY_STORE"}, {"CustomKeyStoreId", store_id}, {"XksKeyId", "key-1"}})),
      ErrorCode::kUnsupportedOperation);
  EXPECT_EQ(CodeOf(Call("CreateKey", {{"Origin", "AWS_CLOUDHSM"},
                                      {"CustomKeyStoreId", store_id},
                                      {"KeySpec", "HMAC_256"},
                                      {"KeyUsage", "GENERATE_VERIFY_MAC"}})),
            ErrorCode::kUnsupportedOperation);
}

TEST_F(CloudHsmStoreTest, ATokenOutageFailsCallsUntilTheTokenIsBack) {
  const std::string key_id = CreateHsmKey(ConnectedStore());
  const std::string before = EncryptText(key_id, "before the outage");
  // The module loses its state (an HSM client whose connection dropped) and
  // the token's storage is gone while it is away.
  auto library = pkcs11::Library::Open(kSoftHsmModule);
  ASSERT_TRUE(library.ok());
  (*library)->fn()->C_Finalize(nullptr);
  const auto away = hsm_.File("tokens-away");
  std::filesystem::rename(hsm_.tokens(), away);
  EXPECT_EQ(CodeOf(Call("Encrypt", {{"KeyId", key_id}, {"Plaintext", B64("x")}})), ErrorCode::kInternal);
  EXPECT_EQ(CodeOf(DecryptBlob(before)), ErrorCode::kInternal);

  std::filesystem::rename(away, hsm_.tokens());
  auto opened = DecryptBlob(before);
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  EXPECT_EQ(UnB64((*opened)["Plaintext"]), "before the outage");
  auto again = DecryptBlob(EncryptText(key_id, "after"));
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(UnB64((*again)["Plaintext"]), "after");
}

TEST_F(CloudHsmStoreTest, UnknownStoreIdsAreNotFoundForEveryOperation) {
  const Json unknown = {{"CustomKeyStoreId", "cks-00000000000000000"}};
  for (const char* op : {"ConnectCustomKeyStore", "DisconnectCustomKeyStore", "UpdateCustomKeyStore",
                         "DeleteCustomKeyStore", "DescribeCustomKeyStores"}) {
    EXPECT_EQ(CodeOf(Call(op, unknown)), ErrorCode::kCustomKeyStoreNotFound) << op;
  }
}

}  // namespace
}  // namespace coffer::kms

// The EXTERNAL_KEY_STORE backend against Coffer's XKS proxy over a loopback
// listener: Connect, CreateKeyMaterial's checks, and the double-encrypted
// blob (layout, round trip, and what tampering with each part gives).
#include "xks/backend.h"

#include "common/encoding.h"
#include "xks/xks_test_util.h"

namespace coffer::xks {
namespace {

using namespace coffer::xks::testing;  // NOLINT(google-build-using-namespace): the fixture's vocabulary

constexpr std::string_view kStoreId = "cks-0123456789abcdef0";

class XksBackendTest : public XksLoopbackTest {
 protected:
  std::unique_ptr<kms::KeyStoreBackend> Backend(std::string_view secret = kSecret) {
    kms::CustomKeyStoreRecord record;
    record.id = std::string(kStoreId);
    record.account = std::string(kAccount);
    record.region = std::string(kRegion);
    record.type = std::string(kms::kTypeExternalKeyStore);
    record.xks_proxy_uri_endpoint = "https://xks.example.com";
    record.xks_proxy_uri_path = std::string(kUriPath);
    record.xks_proxy_access_key_id = std::string(kAccessKeyId);
    BackendOptions options;
    options.endpoint_map = {"https://xks.example.com=" + Endpoint()};
    auto backend = XksBackendFactory(keys_, random_, clock_, options)(record, SecretBytes(AsBytes(secret)));
    EXPECT_TRUE(backend.ok()) << backend.status().message();
    return backend.ok() ? std::move(*backend) : nullptr;
  }

  // A KMS-layer key (the fixture's second key) whose external key is key_id_.
  kms::LoadedKey KmsLayerKey() {
    const std::string id = CreateKeyId();
    auto loaded = keys_.Load(kRegion, kAccount, id);
    EXPECT_TRUE(loaded.ok());
    kms::LoadedKey key;
    key.record = (*loaded)->record;
    key.record.custom_key_store_id = std::string(kStoreId);
    key.record.xks_key_id = key_id_;
    for (const auto& [version, material] : (*loaded)->material)
      key.material.emplace(version, material.Clone());
    return key;
  }

  static kms::CiphertextHeader HeaderOf(const kms::LoadedKey& key) {
    return {key.record.account, key.record.key_id, *HexDecode(key.record.Current().id)};
  }

  kms::KeyStoreCall Call(std::string operation) {
    return {"arn:aws:iam::111122223333:user/alice", "arn:aws:kms:us-east-1:111122223333:key/x",
            std::move(operation), "req-1", ""};
  }
};

TEST_F(XksBackendTest, ConnectIsTheHealthCheck) {
  EXPECT_FALSE(Backend()->Connect().has_value());
  auto failure = Backend("FYtE5EFA5FT0mCc3DrGUe2sti527BitkQ0Zr9MO9fvX")->Connect();
  ASSERT_TRUE(failure.has_value());
  EXPECT_EQ(failure->code, "INVALID_CREDENTIALS");
  EXPECT_EQ(failure->detail.find("FYtE5EFA5FT0mCc3DrGUe2sti527BitkQ0Zr9MO9fvX"), std::string::npos);
}

TEST_F(XksBackendTest, EndpointMappingNeedsTwoUrls) {
  EXPECT_TRUE(CheckEndpointMapping("https://a.example=https://127.0.0.1:8443").ok());
  EXPECT_FALSE(CheckEndpointMapping("https://a.example").ok());
  EXPECT_FALSE(CheckEndpointMapping("a.example=https://b").ok());
  BackendOptions options;
  options.endpoint_map = {"https://a.example=https://b.example:1"};
  EXPECT_EQ(ReachableEndpoint(options, "https://a.example"), "https://b.example:1");
  EXPECT_EQ(ReachableEndpoint(options, "https://c.example"), "https://c.example");
}

TEST_F(XksBackendTest, CreateKeyMaterialChecksTheExternalKey) {
  auto backend = Backend();
  kms::KeyRecord draft;
  draft.key_id = "11111111-2222-3333-4444-555555555555";
  draft.account = std::string(kAccount);
  draft.region = std::string(kRegion);
  draft.custom_key_store_id = std::string(kStoreId);
  ASSERT_TRUE(backend->CreateKeyMaterial(draft, {{"XksKeyId", key_id_}}, Call("CreateKey")).ok());
  EXPECT_EQ(draft.xks_key_id, key_id_);
  EXPECT_TRUE(draft.versions.empty());  // Coffer adds its own KMS-layer material

  Status missing = backend->CreateKeyMaterial(draft, {{"XksKeyId", "no-such-key"}}, Call("CreateKey"));
  EXPECT_EQ(missing.type(), "XksKeyNotFoundException");
  EXPECT_EQ(backend->CreateKeyMaterial(draft, nlohmann::json::object(), Call("CreateKey")).code(),
            ErrorCode::kValidation);

  MustCall("DisableKey", {{"KeyId", key_id_}});
  Status disabled = backend->CreateKeyMaterial(draft, {{"XksKeyId", key_id_}}, Call("CreateKey"));
  EXPECT_EQ(disabled.type(), "XksKeyInvalidConfigurationException");
}

TEST_F(XksBackendTest, AnExternalKeyServesOneKmsKeyOfTheStore) {
  // A key of the store already uses key_id_.
  const kms::KeyRecord existing = KmsLayerKey().record;
  {
    auto writer = keys_.BeginWrite();  // its transaction ends with this block
    ASSERT_TRUE(writer.ok());
    ASSERT_TRUE(writer->PutKey(existing).ok());
    ASSERT_TRUE(writer->Commit().ok());
  }
  kms::KeyRecord draft;
  draft.key_id = "11111111-2222-3333-4444-555555555555";
  draft.account = std::string(kAccount);
  draft.region = std::string(kRegion);
  draft.custom_key_store_id = std::string(kStoreId);
  Status in_use = Backend()->CreateKeyMaterial(draft, {{"XksKeyId", key_id_}}, Call("CreateKey"));
  EXPECT_EQ(in_use.type(), "XksKeyAlreadyInUseException");
  draft.custom_key_store_id = "cks-another0000000000";
  EXPECT_TRUE(Backend()->CreateKeyMaterial(draft, {{"XksKeyId", key_id_}}, Call("CreateKey")).ok());
}

TEST_F(XksBackendTest, SealedBlobsStartWithCoffersHeaderAndOpenAgain) {
  auto backend = Backend();
  const kms::LoadedKey key = KmsLayerKey();
  const kms::EncryptionContext context = {{"purpose", "test"}};
  auto blob = backend->Seal(key, HeaderOf(key), context, AsBytes("double"), Call("Encrypt"));
  ASSERT_TRUE(blob.ok()) << blob.status().message();
  auto header = kms::ParseCiphertextHeader(*blob);
  ASSERT_TRUE(header.ok());
  EXPECT_EQ(header->key_id, key.record.key_id);
  auto opened = backend->Open(key, *blob, context, Call("Decrypt"));
  ASSERT_TRUE(opened.ok()) << opened.status().message();
  EXPECT_EQ(AsChars(opened->view()), "double");

  // The external layer alone is not the plaintext: the inner blob is sealed too.
  EXPECT_EQ(std::string(AsChars(*blob)).find("double"), std::string::npos);
  EXPECT_EQ(backend->Open(key, *blob, {{"purpose", "other"}}, Call("Decrypt")).status().code(),
            ErrorCode::kInvalidCiphertext);
}

TEST_F(XksBackendTest, TamperedBlobsFail) {
  auto backend = Backend();
  const kms::LoadedKey key = KmsLayerKey();
  auto blob = backend->Seal(key, HeaderOf(key), {}, AsBytes("double"), Call("Encrypt"));
  ASSERT_TRUE(blob.ok());
  const std::size_t header_len = 1 + 1 + key.record.account.size() + 1 + key.record.key_id.size() + 32;

  Bytes outer = *blob;
  outer.back() ^= 1;  // the proxy's ciphertext: the proxy refuses it
  auto refused = backend->Open(key, outer, {}, Call("Decrypt"));
  EXPECT_EQ(refused.status().code(), ErrorCode::kInvalidState);
  EXPECT_NE(refused.status().message().find("ciphertext or encryption context"), std::string::npos);

  Bytes marker = *blob;
  marker[header_len] = 0x01;  // not the external layer
  EXPECT_EQ(backend->Open(key, marker, {}, Call("Decrypt")).status().code(), ErrorCode::kInvalidCiphertext);

  Bytes truncated(blob->begin(), blob->begin() + static_cast<std::ptrdiff_t>(header_len + 3));
  EXPECT_EQ(backend->Open(key, truncated, {}, Call("Decrypt")).status().code(),
            ErrorCode::kInvalidCiphertext);

  Bytes bad_iv_len = *blob;
  const std::size_t iv_len_at = header_len + 2 + bad_iv_len[header_len + 1];
  bad_iv_len[iv_len_at] = 13;
  EXPECT_EQ(backend->Open(key, bad_iv_len, {}, Call("Decrypt")).status().code(),
            ErrorCode::kInvalidCiphertext);
}

TEST_F(XksBackendTest, DisabledExternalKeyStopsBothDirections) {
  auto backend = Backend();
  const kms::LoadedKey key = KmsLayerKey();
  auto blob = backend->Seal(key, HeaderOf(key), {}, AsBytes("double"), Call("Encrypt"));
  ASSERT_TRUE(blob.ok());
  MustCall("DisableKey", {{"KeyId", key_id_}});
  auto opened = backend->Open(key, *blob, {}, Call("Decrypt"));
  EXPECT_EQ(opened.status().code(), ErrorCode::kInvalidState);
  EXPECT_NE(opened.status().message().find("not enabled in the external key manager"), std::string::npos);
  EXPECT_EQ(backend->Seal(key, HeaderOf(key), {}, AsBytes("x"), Call("Encrypt")).status().code(),
            ErrorCode::kInvalidState);
  EXPECT_EQ(backend->GenerateRandom(16).status().code(), ErrorCode::kUnsupportedOperation);
}

}  // namespace
}  // namespace coffer::xks

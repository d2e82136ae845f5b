// The pkcs11 root key provider against a real SoftHSM2 token: what the token
// does for Wrap and Unwrap, how the key is created and found again, what it
// refuses, and how it comes back after the token went away.
#include "rootkey/pkcs11_root_key.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <array>
#include <thread>
#include <vector>

#include "crypto/crypto.h"
#include "pkcs11/library.h"
#include "pkcs11/softhsm_test_util.h"

namespace coffer::rootkey {
namespace {

using pkcs11::testing::kSoftHsmModule;
using ::testing::HasSubstr;

constexpr std::string_view kSecret = "key material to protect";
constexpr std::string_view kAad = "arn:aws:kms:us-east-1:111122223333:key/k|v1";

class Pkcs11RootKeyTest : public ::testing::Test {
 protected:
  void SetUp() override { hsm_.InitToken("coffer-a"); }

  Pkcs11Options Options(std::string token = "coffer-a") const {
    Pkcs11Options options;
    options.module = kSoftHsmModule;
    options.token_label = std::move(token);
    options.pin_file = hsm_.pin_file();
    options.sessions = 4;
    return options;
  }

  std::unique_ptr<RootKey> Open(const Pkcs11Options& options) {
    auto root = OpenPkcs11RootKey(options, random_);
    EXPECT_TRUE(root.ok()) << root.status().ToString();
    return root.ok() ? std::move(*root) : nullptr;
  }

  Bytes MustWrap(const RootKey& root, std::string_view aad = kAad) {
    auto wrapped = root.Wrap(AsBytes(kSecret), aad);
    EXPECT_TRUE(wrapped.ok()) << wrapped.status().ToString();
    return wrapped.ok() ? *wrapped : Bytes{};
  }

  static void ExpectUnwrapsToSecret(const RootKey& root, const Bytes& wrapped) {
    auto unwrapped = root.Unwrap(wrapped, kAad);
    ASSERT_TRUE(unwrapped.ok()) << unwrapped.status().ToString();
    EXPECT_EQ(AsChars(unwrapped->view()), kSecret);
  }

  pkcs11::testing::SoftHsm hsm_;
  crypto::OsRandom random_;
};

// A logged-in session of the test itself, to look at the token directly.
class TestSession {
 public:
  explicit TestSession(const std::string& token) {
    auto library = pkcs11::Library::Open(kSoftHsmModule);
    EXPECT_TRUE(library.ok());
    library_ = *library;
    auto slot = library_->FindTokenSlot(token);
    EXPECT_TRUE(slot.ok());
    EXPECT_EQ(fn().C_OpenSession(*slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, nullptr, nullptr, &session_),
              CKR_OK);
    std::string pin = pkcs11::testing::kUserPin;
    const CK_RV rv =
        fn().C_Login(session_, CKU_USER, reinterpret_cast<std::uint8_t*>(pin.data()), pin.size());
    EXPECT_TRUE(rv == CKR_OK || rv == CKR_USER_ALREADY_LOGGED_IN) << pkcs11::RvName(rv);
  }
  ~TestSession() { fn().C_CloseSession(session_); }

  CK_FUNCTION_LIST& fn() const { return *library_->fn(); }
  CK_SESSION_HANDLE session() const { return session_; }

  std::vector<CK_OBJECT_HANDLE> KeysLabelled(std::string label) const {
    CK_ATTRIBUTE query{CKA_LABEL, label.data(), label.size()};
    EXPECT_EQ(fn().C_FindObjectsInit(session_, &query, 1), CKR_OK);
    std::array<CK_OBJECT_HANDLE, 8> found{};
    CK_ULONG count = 0;
    EXPECT_EQ(fn().C_FindObjects(session_, found.data(), found.size(), &count), CKR_OK);
    fn().C_FindObjectsFinal(session_);
    return {found.begin(), found.begin() + static_cast<std::ptrdiff_t>(count)};
  }

  // An AES key with `label` that does not meet the root key's rules.
  void GenerateKey(std::string label, bool extractable, CK_ULONG len = 32) const {
    CK_OBJECT_CLASS key_class = CKO_SECRET_KEY;
    CK_KEY_TYPE key_type = CKK_AES;
    CK_BBOOL yes = CK_TRUE;
    CK_BBOOL extract = extractable ? CK_TRUE : CK_FALSE;
    std::array attrs = {CK_ATTRIBUTE{CKA_CLASS, &key_class, sizeof(key_class)},
                        CK_ATTRIBUTE{CKA_KEY_TYPE, &key_type, sizeof(key_type)},
                        CK_ATTRIBUTE{CKA_VALUE_LEN, &len, sizeof(len)},
                        CK_ATTRIBUTE{CKA_LABEL, label.data(), label.size()},
                        CK_ATTRIBUTE{CKA_TOKEN, &yes, sizeof(yes)},
                        CK_ATTRIBUTE{CKA_SENSITIVE, &yes, sizeof(yes)},
                        CK_ATTRIBUTE{CKA_EXTRACTABLE, &extract, sizeof(extract)},
                        CK_ATTRIBUTE{CKA_ENCRYPT, &yes, sizeof(yes)},
                        CK_ATTRIBUTE{CKA_DECRYPT, &yes, sizeof(yes)}};
    CK_MECHANISM mech{CKM_AES_KEY_GEN, nullptr, 0};
    CK_OBJECT_HANDLE key = CK_INVALID_HANDLE;
    EXPECT_EQ(fn().C_GenerateKey(session_, &mech, attrs.data(), attrs.size(), &key), CKR_OK);
  }

 private:
  std::shared_ptr<pkcs11::Library> library_;
  CK_SESSION_HANDLE session_ = CK_INVALID_HANDLE;
};

// ---- Wrap and Unwrap, done by the token ----

TEST_F(Pkcs11RootKeyTest, UnwrapReturnsWhatWrapProtected) {
  auto root = Open(Options());
  ASSERT_NE(root, nullptr);
  const Bytes wrapped = MustWrap(*root);
  ASSERT_EQ(wrapped.size(), kWrapOverhead + kSecret.size());
  EXPECT_EQ(wrapped[0], kPkcs11WrapFormat);
  EXPECT_EQ(std::string(AsChars(wrapped)).find(kSecret), std::string::npos);
  ExpectUnwrapsToSecret(*root, wrapped);
}

TEST_F(Pkcs11RootKeyTest, EmptySecretRoundTrips) {
  auto root = Open(Options());
  ASSERT_NE(root, nullptr);
  auto wrapped = root->Wrap({}, kAad);
  ASSERT_TRUE(wrapped.ok()) << wrapped.status().ToString();
  auto unwrapped = root->Unwrap(*wrapped, kAad);
  ASSERT_TRUE(unwrapped.ok()) << unwrapped.status().ToString();
  EXPECT_TRUE(unwrapped->empty());
}

TEST_F(Pkcs11RootKeyTest, WrappingTwiceUsesFreshIvs) {
  auto root = Open(Options());
  ASSERT_NE(root, nullptr);
  EXPECT_NE(MustWrap(*root), MustWrap(*root));
}

TEST_F(Pkcs11RootKeyTest, UnwrapWithAnotherAadFails) {
  auto root = Open(Options());
  ASSERT_NE(root, nullptr);
  auto unwrapped = root->Unwrap(MustWrap(*root), "arn:aws:kms:us-east-1:111122223333:key/k|v2");
  ASSERT_FALSE(unwrapped.ok());
  EXPECT_EQ(unwrapped.status().code(), ErrorCode::kInternal);
  // The session that saw the bad tag is still good for the next call.
  ExpectUnwrapsToSecret(*root, MustWrap(*root));
}

TEST_F(Pkcs11RootKeyTest, AnyTamperedByteFailsToUnwrap) {
  auto root = Open(Options());
  ASSERT_NE(root, nullptr);
  const Bytes wrapped = MustWrap(*root);
  for (std::size_t i = 0; i < wrapped.size(); ++i) {
    Bytes tampered = wrapped;
    tampered[i] ^= 0x01;
    auto unwrapped = root->Unwrap(tampered, kAad);
    ASSERT_FALSE(unwrapped.ok()) << "byte " << i;
    EXPECT_EQ(unwrapped.status().code(), ErrorCode::kInternal);
  }
}

TEST_F(Pkcs11RootKeyTest, TruncatedBlobsFailToUnwrap) {
  auto root = Open(Options());
  ASSERT_NE(root, nullptr);
  const Bytes wrapped = MustWrap(*root);
  for (std::size_t len : {std::size_t{0}, std::size_t{1}, kWrapOverhead - 1, wrapped.size() - 1}) {
    auto unwrapped = root->Unwrap(ByteView(wrapped.data(), len), kAad);
    EXPECT_FALSE(unwrapped.ok()) << "length " << len;
  }
}

TEST_F(Pkcs11RootKeyTest, BlobsOfTheOtherProviderKindAreRefusedByTheirFormatByte) {
  auto root = Open(Options());
  ASSERT_NE(root, nullptr);
  const SoftwareRootKey software(SecretBytes(Bytes(32, 0x42)), random_);
  auto soft_blob = software.Wrap(AsBytes(kSecret), kAad);
  ASSERT_TRUE(soft_blob.ok());
  auto by_token = root->Unwrap(*soft_blob, kAad);
  ASSERT_FALSE(by_token.ok());
  EXPECT_THAT(by_token.status().message(), HasSubstr("malformed"));
  auto by_software = software.Unwrap(MustWrap(*root), kAad);
  ASSERT_FALSE(by_software.ok());
  EXPECT_THAT(by_software.status().message(), HasSubstr("malformed"));
}

TEST_F(Pkcs11RootKeyTest, ABlobFromAnotherTokenFailsToUnwrap) {
  hsm_.InitToken("coffer-b");
  auto root_a = Open(Options("coffer-a"));
  auto root_b = Open(Options("coffer-b"));
  ASSERT_NE(root_a, nullptr);
  ASSERT_NE(root_b, nullptr);
  auto unwrapped = root_b->Unwrap(MustWrap(*root_a), kAad);
  ASSERT_FALSE(unwrapped.ok());
  EXPECT_EQ(unwrapped.status().code(), ErrorCode::kInternal);
}

TEST_F(Pkcs11RootKeyTest, ConcurrentWrapsAndUnwrapsFromManyThreads) {
  auto options = Options();
  options.sessions = 3;  // fewer sessions than threads: some wait their turn
  auto root = Open(options);
  ASSERT_NE(root, nullptr);
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      const std::string aad = "thread-" + std::to_string(t);
      for (int i = 0; i < 50; ++i) {
        auto wrapped = root->Wrap(AsBytes(aad), aad);
        auto unwrapped = wrapped.ok() ? root->Unwrap(*wrapped, aad) : StatusOr<SecretBytes>(wrapped.status());
        if (!unwrapped.ok() || AsChars(unwrapped->view()) != aad) ++failures;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(failures.load(), 0);
}

// ---- the key: generated inside, never extractable, found again ----

TEST_F(Pkcs11RootKeyTest, TheKeyIsGeneratedInTheTokenAndCannotBeRead) {
  auto root = Open(Options());
  ASSERT_NE(root, nullptr);
  TestSession look("coffer-a");
  const auto keys = look.KeysLabelled("coffer-root-key");
  ASSERT_EQ(keys.size(), 1u);
  std::array<std::uint8_t, 64> value{};
  CK_ATTRIBUTE read_value{CKA_VALUE, value.data(), value.size()};
  EXPECT_EQ(look.fn().C_GetAttributeValue(look.session(), keys[0], &read_value, 1), CKR_ATTRIBUTE_SENSITIVE);
  CK_BBOOL sensitive = CK_FALSE, extractable = CK_TRUE, token = CK_FALSE;
  std::array flags = {CK_ATTRIBUTE{CKA_SENSITIVE, &sensitive, 1},
                      CK_ATTRIBUTE{CKA_EXTRACTABLE, &extractable, 1}, CK_ATTRIBUTE{CKA_TOKEN, &token, 1}};
  ASSERT_EQ(look.fn().C_GetAttributeValue(look.session(), keys[0], flags.data(), flags.size()), CKR_OK);
  EXPECT_EQ(sensitive, CK_TRUE);
  EXPECT_EQ(extractable, CK_FALSE);
  EXPECT_EQ(token, CK_TRUE);
}

TEST_F(Pkcs11RootKeyTest, ARestartFindsTheSameKeyByLabel) {
  Bytes wrapped;
  {
    auto first = Open(Options());
    ASSERT_NE(first, nullptr);
    wrapped = MustWrap(*first);
  }
  auto second = Open(Options());
  ASSERT_NE(second, nullptr);
  ExpectUnwrapsToSecret(*second, wrapped);
  TestSession look("coffer-a");
  EXPECT_EQ(look.KeysLabelled("coffer-root-key").size(), 1u);
}

TEST_F(Pkcs11RootKeyTest, TheKeyLabelSelectsTheKey) {
  auto first = Open(Options());
  auto options = Options();
  options.key_label = "another-root";
  auto other = Open(options);
  ASSERT_NE(first, nullptr);
  ASSERT_NE(other, nullptr);
  EXPECT_FALSE(other->Unwrap(MustWrap(*first), kAad).ok());
}

TEST_F(Pkcs11RootKeyTest, AnExtractableKeyUnderTheLabelIsRefused) {
  {
    TestSession setup("coffer-a");
    setup.GenerateKey("coffer-root-key", /*extractable=*/true);
  }
  auto root = OpenPkcs11RootKey(Options(), random_);
  ASSERT_FALSE(root.ok());
  EXPECT_THAT(root.status().message(), HasSubstr("could leave the token"));
}

TEST_F(Pkcs11RootKeyTest, AKeyOfTheWrongSizeUnderTheLabelIsRefused) {
  {
    TestSession setup("coffer-a");
    setup.GenerateKey("coffer-root-key", /*extractable=*/false, 16);
  }
  auto root = OpenPkcs11RootKey(Options(), random_);
  ASSERT_FALSE(root.ok());
  EXPECT_THAT(root.status().message(), HasSubstr("not an AES-256 key"));
}

TEST_F(Pkcs11RootKeyTest, TwoKeysUnderTheLabelAreRefused) {
  {
    TestSession setup("coffer-a");
    setup.GenerateKey("coffer-root-key", false);
    setup.GenerateKey("coffer-root-key", false);
  }
  auto root = OpenPkcs11RootKey(Options(), random_);
  ASSERT_FALSE(root.ok());
  EXPECT_THAT(root.status().message(), HasSubstr("more than one PKCS#11 key"));
}

// ---- start-up refusals ----

TEST_F(Pkcs11RootKeyTest, APinFileOthersCanReadIsRefused) {
  ASSERT_EQ(::chmod(hsm_.pin_file().c_str(), 0640), 0);
  auto root = OpenPkcs11RootKey(Options(), random_);
  ASSERT_FALSE(root.ok());
  EXPECT_THAT(root.status().message(), HasSubstr("chmod 600"));
  EXPECT_THAT(root.status().message(), ::testing::Not(HasSubstr(pkcs11::testing::kUserPin)));
}

TEST_F(Pkcs11RootKeyTest, AnEmptyPinFileIsRefused) {
  std::ofstream(hsm_.pin_file(), std::ios::trunc) << "\n";
  auto root = OpenPkcs11RootKey(Options(), random_);
  ASSERT_FALSE(root.ok());
  EXPECT_THAT(root.status().message(), HasSubstr("is empty"));
}

TEST_F(Pkcs11RootKeyTest, AWrongPinIsRefusedWithoutShowingIt) {
  std::ofstream(hsm_.pin_file(), std::ios::trunc) << "99999999\n";
  auto root = OpenPkcs11RootKey(Options(), random_);
  ASSERT_FALSE(root.ok());
  EXPECT_THAT(root.status().message(), HasSubstr("CKR_PIN_INCORRECT"));
  EXPECT_THAT(root.status().message(), ::testing::Not(HasSubstr("99999999")));
}

TEST_F(Pkcs11RootKeyTest, AnUnknownTokenLabelIsRefused) {
  auto root = OpenPkcs11RootKey(Options("no-such-token"), random_);
  ASSERT_FALSE(root.ok());
  EXPECT_THAT(root.status().message(), HasSubstr("no PKCS#11 token labelled 'no-such-token'"));
}

TEST_F(Pkcs11RootKeyTest, AModuleThatCannotBeLoadedIsRefused) {
  auto options = Options();
  options.module = hsm_.File("missing.so");
  auto root = OpenPkcs11RootKey(options, random_);
  ASSERT_FALSE(root.ok());
  EXPECT_THAT(root.status().message(), HasSubstr("cannot load PKCS#11 module"));
}

// ---- a token that goes away and comes back ----

TEST_F(Pkcs11RootKeyTest, ATokenOutageFailsCallsUntilTheTokenIsBack) {
  auto root = Open(Options());
  ASSERT_NE(root, nullptr);
  const Bytes before = MustWrap(*root);
  // The module loses its state (as an HSM client does when its connection
  // drops) and the token's storage is gone while it is away.
  auto library = pkcs11::Library::Open(kSoftHsmModule);
  ASSERT_TRUE(library.ok());
  (*library)->fn()->C_Finalize(nullptr);
  const auto away = hsm_.File("tokens-away");
  std::filesystem::rename(hsm_.tokens(), away);

  auto wrap = root->Wrap(AsBytes(kSecret), kAad);
  ASSERT_FALSE(wrap.ok());
  EXPECT_EQ(wrap.status().code(), ErrorCode::kInternal);
  auto unwrap = root->Unwrap(before, kAad);
  ASSERT_FALSE(unwrap.ok());
  EXPECT_EQ(unwrap.status().code(), ErrorCode::kInternal);

  std::filesystem::rename(away, hsm_.tokens());
  ExpectUnwrapsToSecret(*root, before);
  ExpectUnwrapsToSecret(*root, MustWrap(*root));
}

TEST_F(Pkcs11RootKeyTest, ClosedSessionsAreReplacedAfterOneFailedCall) {
  auto root = Open(Options());
  ASSERT_NE(root, nullptr);
  const Bytes before = MustWrap(*root);
  {
    TestSession other("coffer-a");
    auto library = pkcs11::Library::Open(kSoftHsmModule);
    ASSERT_TRUE(library.ok());
    CK_SESSION_INFO info{};
    ASSERT_EQ(other.fn().C_GetSessionInfo(other.session(), &info), CKR_OK);
    EXPECT_EQ(other.fn().C_CloseAllSessions(info.slotID), CKR_OK);
  }
  EXPECT_FALSE(root->Unwrap(before, kAad).ok());
  ExpectUnwrapsToSecret(*root, before);
}

}  // namespace
}  // namespace coffer::rootkey

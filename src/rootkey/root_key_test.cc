// The root key: what Wrap binds, and how each provider finds, creates and
// guards its key material.
#include "rootkey/root_key.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <ostream>
#include <string>

#include "crypto/crypto.h"

namespace coffer {

inline void PrintTo(ErrorCode code, std::ostream* os) { *os << ErrorName(code); }

namespace rootkey {
namespace {

using ::testing::HasSubstr;
namespace fs = std::filesystem;

constexpr std::string_view kSecret = "key material to protect";
constexpr std::string_view kAad = "arn:aws:kms:us-east-1:111122223333:key/k|v1";
constexpr std::string_view kPassphrase = "correct horse battery staple";

SecretBytes FixedKey(std::uint8_t fill) { return SecretBytes(Bytes(32, fill)); }

// A fresh directory per test, removed with everything in it.
class TempDir {
 public:
  TempDir() {
    static std::atomic<int> counter{0};
    path_ = fs::temp_directory_path() /
            ("coffer-rootkey-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
    fs::remove_all(path_);
    fs::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ignored;
    fs::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  fs::path File(std::string_view name) const { return path_ / name; }

 private:
  fs::path path_;
};

void WriteFile(const fs::path& path, std::string_view content, mode_t mode) {
  std::ofstream(path, std::ios::binary) << content;
  ASSERT_EQ(::chmod(path.c_str(), mode), 0);
}

class RootKeyTest : public ::testing::Test {
 protected:
  crypto::OsRandom random_;
  TempDir dir_;
};

// ---- Wrap and Unwrap ----

TEST_F(RootKeyTest, UnwrapReturnsWhatWrapProtected) {
  const SoftwareRootKey root(FixedKey(0x42), random_);
  auto wrapped = root.Wrap(AsBytes(kSecret), kAad);
  ASSERT_TRUE(wrapped.ok()) << wrapped.status().ToString();
  EXPECT_EQ(wrapped->size(), 1 + crypto::kGcmIvLen + kSecret.size() + crypto::kGcmTagLen);
  EXPECT_EQ(std::string(AsChars(*wrapped)).find(kSecret), std::string::npos);
  auto unwrapped = root.Unwrap(*wrapped, kAad);
  ASSERT_TRUE(unwrapped.ok()) << unwrapped.status().ToString();
  EXPECT_EQ(AsChars(unwrapped->view()), kSecret);
}

TEST_F(RootKeyTest, WrappingTwiceUsesFreshIvs) {
  const SoftwareRootKey root(FixedKey(0x42), random_);
  auto a = root.Wrap(AsBytes(kSecret), kAad);
  auto b = root.Wrap(AsBytes(kSecret), kAad);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE(*a, *b);
}

TEST_F(RootKeyTest, EmptySecretRoundTrips) {
  const SoftwareRootKey root(FixedKey(0x42), random_);
  auto wrapped = root.Wrap({}, kAad);
  ASSERT_TRUE(wrapped.ok());
  auto unwrapped = root.Unwrap(*wrapped, kAad);
  ASSERT_TRUE(unwrapped.ok()) << unwrapped.status().ToString();
  EXPECT_TRUE(unwrapped->empty());
}

TEST_F(RootKeyTest, UnwrapWithAnotherAadFails) {
  const SoftwareRootKey root(FixedKey(0x42), random_);
  auto wrapped = root.Wrap(AsBytes(kSecret), kAad);
  ASSERT_TRUE(wrapped.ok());
  auto unwrapped = root.Unwrap(*wrapped, "arn:aws:kms:us-east-1:111122223333:key/k|v2");
  ASSERT_FALSE(unwrapped.ok());
  EXPECT_EQ(unwrapped.status().code(), ErrorCode::kInternal);
}

TEST_F(RootKeyTest, UnwrapUnderAnotherRootKeyFails) {
  const SoftwareRootKey root(FixedKey(0x42), random_);
  const SoftwareRootKey other(FixedKey(0x43), random_);
  auto wrapped = root.Wrap(AsBytes(kSecret), kAad);
  ASSERT_TRUE(wrapped.ok());
  EXPECT_EQ(other.Unwrap(*wrapped, kAad).status().code(), ErrorCode::kInternal);
}

TEST_F(RootKeyTest, AnyTamperedByteFailsToUnwrap) {
  const SoftwareRootKey root(FixedKey(0x42), random_);
  auto wrapped = root.Wrap(AsBytes(kSecret), kAad);
  ASSERT_TRUE(wrapped.ok());
  for (std::size_t i = 0; i < wrapped->size(); ++i) {
    Bytes tampered = *wrapped;
    tampered[i] ^= 0x01;
    auto unwrapped = root.Unwrap(tampered, kAad);
    ASSERT_FALSE(unwrapped.ok()) << "byte " << i;
    EXPECT_EQ(unwrapped.status().code(), ErrorCode::kInternal) << "byte " << i;
  }
}

TEST_F(RootKeyTest, TruncatedBlobsFailToUnwrap) {
  const SoftwareRootKey root(FixedKey(0x42), random_);
  auto wrapped = root.Wrap(AsBytes(kSecret), kAad);
  ASSERT_TRUE(wrapped.ok());
  for (std::size_t len = 0; len < wrapped->size(); ++len) {
    EXPECT_EQ(root.Unwrap(ByteView(wrapped->data(), len), kAad).status().code(), ErrorCode::kInternal)
        << "length " << len;
  }
}

// ---- file provider ----

TEST_F(RootKeyTest, FileProviderCreatesAPrivate32ByteFile) {
  const fs::path path = dir_.File("root.key");
  auto root = LoadOrCreateFileRootKey(path, random_);
  ASSERT_TRUE(root.ok()) << root.status().ToString();
  EXPECT_EQ(fs::file_size(path), 32u);
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST_F(RootKeyTest, FileProviderReusesTheFileOnTheNextStart) {
  const fs::path path = dir_.File("root.key");
  auto first = LoadOrCreateFileRootKey(path, random_);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  auto wrapped = (*first)->Wrap(AsBytes(kSecret), kAad);
  ASSERT_TRUE(wrapped.ok());

  auto second = LoadOrCreateFileRootKey(path, random_);
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  auto unwrapped = (*second)->Unwrap(*wrapped, kAad);
  ASSERT_TRUE(unwrapped.ok()) << unwrapped.status().ToString();
  EXPECT_EQ(AsChars(unwrapped->view()), kSecret);
}

TEST_F(RootKeyTest, FileProvidersInDifferentPlacesMakeDifferentKeys) {
  auto first = LoadOrCreateFileRootKey(dir_.File("a.key"), random_);
  auto second = LoadOrCreateFileRootKey(dir_.File("b.key"), random_);
  ASSERT_TRUE(first.ok() && second.ok());
  auto wrapped = (*first)->Wrap(AsBytes(kSecret), kAad);
  ASSERT_TRUE(wrapped.ok());
  EXPECT_FALSE((*second)->Unwrap(*wrapped, kAad).ok());
}

TEST_F(RootKeyTest, FileProviderRefusesAFileOthersCanRead) {
  const fs::path path = dir_.File("root.key");
  WriteFile(path, std::string(32, 'k'), 0644);
  auto root = LoadOrCreateFileRootKey(path, random_);
  ASSERT_FALSE(root.ok());
  EXPECT_THAT(root.status().message(), HasSubstr("chmod 600"));
}

TEST_F(RootKeyTest, FileProviderRefusesAFileTheGroupCanWrite) {
  const fs::path path = dir_.File("root.key");
  WriteFile(path, std::string(32, 'k'), 0620);
  EXPECT_FALSE(LoadOrCreateFileRootKey(path, random_).ok());
}

TEST_F(RootKeyTest, FileProviderRefusesAFileOfTheWrongSize) {
  for (std::size_t size : {std::size_t{0}, std::size_t{31}, std::size_t{33}, std::size_t{64}}) {
    const fs::path path = dir_.File("root-" + std::to_string(size) + ".key");
    WriteFile(path, std::string(size, 'k'), 0600);
    auto root = LoadOrCreateFileRootKey(path, random_);
    ASSERT_FALSE(root.ok()) << size;
    EXPECT_THAT(root.status().message(), HasSubstr("32 bytes")) << size;
  }
}

TEST_F(RootKeyTest, FileProviderUsesAnExistingWellFormedFile) {
  const fs::path path = dir_.File("root.key");
  WriteFile(path, std::string(32, '\x42'), 0600);
  auto root = LoadOrCreateFileRootKey(path, random_);
  ASSERT_TRUE(root.ok()) << root.status().ToString();
  // The file's bytes are the key: a RootKey built from the same bytes agrees.
  const SoftwareRootKey same(FixedKey(0x42), random_);
  auto wrapped = same.Wrap(AsBytes(kSecret), kAad);
  ASSERT_TRUE(wrapped.ok());
  EXPECT_TRUE((*root)->Unwrap(*wrapped, kAad).ok());
}

TEST_F(RootKeyTest, FileProviderReportsAnUncreatableFile) {
  auto root = LoadOrCreateFileRootKey(dir_.File("missing-dir/root.key"), random_);
  ASSERT_FALSE(root.ok());
  EXPECT_EQ(root.status().code(), ErrorCode::kInternal);
}

// ---- passphrase provider (Argon2id with 64 MiB: each derivation takes a moment) ----

TEST_F(RootKeyTest, PassphraseProviderDerivesTheSameKeyEachStart) {
  const fs::path salt = dir_.File("root.salt");
  auto first = DeriveRootKeyFromPassphrase(kPassphrase, salt, random_);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_TRUE(fs::exists(salt));
  struct stat st {};
  ASSERT_EQ(::stat(salt.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  auto wrapped = (*first)->Wrap(AsBytes(kSecret), kAad);
  ASSERT_TRUE(wrapped.ok());

  auto second = DeriveRootKeyFromPassphrase(kPassphrase, salt, random_);
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  auto unwrapped = (*second)->Unwrap(*wrapped, kAad);
  ASSERT_TRUE(unwrapped.ok()) << unwrapped.status().ToString();
  EXPECT_EQ(AsChars(unwrapped->view()), kSecret);
}

TEST_F(RootKeyTest, PassphraseProviderRefusesAWrongPassphraseAtStart) {
  const fs::path salt = dir_.File("root.salt");
  ASSERT_TRUE(DeriveRootKeyFromPassphrase(kPassphrase, salt, random_).ok());
  auto wrong = DeriveRootKeyFromPassphrase("incorrect horse battery staple", salt, random_);
  ASSERT_FALSE(wrong.ok());
  EXPECT_THAT(wrong.status().message(), HasSubstr("wrong root key passphrase"));
}

TEST_F(RootKeyTest, PassphraseProviderRefusesShortPassphrases) {
  const fs::path salt = dir_.File("root.salt");
  auto root = DeriveRootKeyFromPassphrase("1234567", salt, random_);
  ASSERT_FALSE(root.ok());
  EXPECT_THAT(root.status().message(), HasSubstr("at least 8"));
  EXPECT_FALSE(fs::exists(salt));  // nothing written for a refused passphrase
}

TEST_F(RootKeyTest, PassphraseProviderUsesARandomSaltPerDataDirectory) {
  auto first = DeriveRootKeyFromPassphrase(kPassphrase, dir_.File("a.salt"), random_);
  auto second = DeriveRootKeyFromPassphrase(kPassphrase, dir_.File("b.salt"), random_);
  ASSERT_TRUE(first.ok() && second.ok());
  auto wrapped = (*first)->Wrap(AsBytes(kSecret), kAad);
  ASSERT_TRUE(wrapped.ok());
  EXPECT_FALSE((*second)->Unwrap(*wrapped, kAad).ok());
}

TEST_F(RootKeyTest, PassphraseProviderRefusesAMalformedSaltFile) {
  const fs::path salt = dir_.File("root.salt");
  WriteFile(salt, "not-hex\n", 0600);
  auto root = DeriveRootKeyFromPassphrase(kPassphrase, salt, random_);
  ASSERT_FALSE(root.ok());
  EXPECT_THAT(root.status().message(), HasSubstr("malformed"));
}

TEST_F(RootKeyTest, PassphraseProviderRefusesASaltFileWithoutItsCheckValue) {
  const fs::path salt = dir_.File("root.salt");
  WriteFile(salt, std::string(32, 'a') + "\n", 0600);  // a valid 16-byte salt, no check value
  EXPECT_FALSE(DeriveRootKeyFromPassphrase(kPassphrase, salt, random_).ok());
}

}  // namespace
}  // namespace rootkey
}  // namespace coffer

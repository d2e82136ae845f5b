// Format 3: data keys wrapped under a BlobKeyring version recorded in the
// header. A blob opens after the keyring moved to a newer version; a header
// naming another or an unknown version, or a tampered wrapped key, fails as
// tampering; version 2 files (root key only) still open beside version 3.
#include <gmock/gmock.h>

#include <algorithm>
#include <map>

#include "blobs/blobs_test_util.h"
#include "blobs/format.h"
#include "crypto/crypto.h"

namespace coffer::blobs::testing {
namespace {

using ::testing::HasSubstr;

// Versions of random 32-byte keys held in memory; Rotate adds one.
class MemoryKeyring final : public BlobKeyring {
 public:
  explicit MemoryKeyring(RandomSource& random) : random_(random) { Rotate(); }
  void Rotate() {
    auto key = crypto::RandomSecret(random_, 32);
    EXPECT_TRUE(key.ok());
    keys_.emplace(++current_, std::move(*key));
  }
  StatusOr<std::uint32_t> CurrentVersion() override {
    if (unavailable_) return Status(ErrorCode::kUnavailable, "keyring store unavailable");
    return current_;
  }
  StatusOr<Bytes> Wrap(std::uint32_t version, ByteView data_key, std::string_view aad) override {
    ASSIGN_OR_RETURN(const SecretBytes* key, Key(version));
    return SealKey(key->view(), data_key, aad, random_);
  }
  StatusOr<SecretBytes> Unwrap(std::uint32_t version, ByteView wrapped, std::string_view aad) override {
    ASSIGN_OR_RETURN(const SecretBytes* key, Key(version));
    return OpenKey(key->view(), wrapped, aad);
  }
  bool unavailable_ = false;

 private:
  StatusOr<const SecretBytes*> Key(std::uint32_t version) {
    if (unavailable_) return Status(ErrorCode::kUnavailable, "keyring store unavailable");
    auto it = keys_.find(version);
    if (it == keys_.end()) return NotFoundError("no version " + std::to_string(version));
    return &it->second;
  }
  RandomSource& random_;
  std::uint32_t current_ = 0;
  std::map<std::uint32_t, SecretBytes> keys_;
};

// v3 header offsets (docs/blobs.md): magic 0..4, version 4, layer 5,
// segment_bytes 6..10, key_version 10..14, wrapped_len 14..16, wrapped 16...
constexpr std::size_t kVersionAt = 4;
constexpr std::size_t kKeyVersionAt = 10;
constexpr std::size_t kWrappedAt = 16;

class KeyringTest : public BlobTest {
 protected:
  std::unique_ptr<BlobStore> OpenKeyringStore(std::size_t segment_bytes = kSmallSegment) {
    auto store = OpenFileBlobStore({dir_.string(), segment_bytes}, root_, keyring_, random_);
    EXPECT_TRUE(store.ok()) << store.status().ToString();
    return store.ok() ? std::move(store).value() : nullptr;
  }
  std::string Header(std::string_view id) { return ReadFileBytes(BlobPath(id)).substr(0, kWrappedAt); }
  void SetKeyVersion(std::string_view id, std::uint32_t version) {
    std::string raw = ReadFileBytes(BlobPath(id));
    for (int i = 0; i < 4; ++i) raw[kKeyVersionAt + i] = static_cast<char>(version >> (24 - 8 * i));
    WriteFileBytes(BlobPath(id), raw);
  }
  static std::uint32_t KeyVersionIn(std::string_view header) {
    std::uint32_t v = 0;
    for (int i = 0; i < 4; ++i) v = (v << 8) | static_cast<std::uint8_t>(header[kKeyVersionAt + i]);
    return v;
  }
  void ExpectTampered(BlobStore& store, std::string_view id, std::string_view why) {
    auto reader = store.Open(id);
    ASSERT_FALSE(reader.ok());
    EXPECT_EQ(reader.status().code(), ErrorCode::kInternal) << reader.status().ToString();
    EXPECT_EQ(reader.status().message(),
              "blob " + std::string(id) + " failed authentication: " + std::string(why));
  }

  MemoryKeyring keyring_{random_};
};

TEST_F(KeyringTest, NewBlobsAreVersion3UnderTheCurrentKeyVersion) {
  auto store = OpenKeyringStore();
  const std::string data = Pattern(100, 3);
  const BlobInfo info = WriteBlob(*store, data);
  const std::string header = Header(info.id);
  EXPECT_EQ(header.substr(0, 4), "CFBL");
  EXPECT_EQ(header[kVersionAt], 3);
  EXPECT_EQ(KeyVersionIn(header), 1U);
  // magic | version | layer | segment_bytes | key_version | wrapped_len | 60-byte wrap | size
  EXPECT_EQ(HeaderLen(info.id, data.size()), 4 + 1 + 1 + 4 + 4 + 2 + 32 + kKeyWrapOverhead + 8);
  auto reader = store->Open(info.id);
  ASSERT_TRUE(reader.ok()) << reader.status().ToString();
  EXPECT_EQ(ReadAll(**reader), data);
}

TEST_F(KeyringTest, OldBlobsOpenAfterRotationAndNewOnesUseTheNewVersion) {
  auto store = OpenKeyringStore();
  const BlobInfo before = WriteBlob(*store, Pattern(50, 1));
  keyring_.Rotate();
  const BlobInfo after = WriteBlob(*store, Pattern(70, 2));
  EXPECT_EQ(KeyVersionIn(Header(before.id)), 1U);
  EXPECT_EQ(KeyVersionIn(Header(after.id)), 2U);
  for (const auto& [info, seed] : {std::pair{before, 1U}, std::pair{after, 2U}}) {
    auto reader = store->Open(info.id);
    ASSERT_TRUE(reader.ok()) << reader.status().ToString();
    EXPECT_EQ(ReadAll(**reader), Pattern(info.size, seed));
  }
}

TEST_F(KeyringTest, EveryLayerRoundTripsInVersion3) {
  auto store = OpenKeyringStore();
  const SecretBytes key(Bytes(32, 0x17));
  for (const BlobKeys& keys : {BlobKeys{&key, nullptr}, BlobKeys{nullptr, &key}}) {
    const BlobInfo info = WriteBlob(*store, Pattern(40, 5), 5, keys);
    EXPECT_EQ(Header(info.id)[kVersionAt], 3);
    auto reader = store->Open(info.id, keys);
    ASSERT_TRUE(reader.ok()) << reader.status().ToString();
    EXPECT_EQ(ReadAll(**reader), Pattern(40, 5));
    EXPECT_EQ(store->Open(info.id).status().code(), ErrorCode::kAccessDenied);
  }
}

TEST_F(KeyringTest, Version2FilesStillOpenBesideVersion3) {
  const BlobInfo old_blob = WriteBlob(*OpenStore(), Pattern(33, 4));
  EXPECT_EQ(Header(old_blob.id)[kVersionAt], 2);
  auto store = OpenKeyringStore();
  const BlobInfo new_blob = WriteBlob(*store, Pattern(33, 6));
  for (const auto& [info, seed] : {std::pair{old_blob, 4U}, std::pair{new_blob, 6U}}) {
    auto reader = store->Open(info.id);
    ASSERT_TRUE(reader.ok()) << reader.status().ToString();
    EXPECT_EQ(ReadAll(**reader), Pattern(33, seed));
  }
}

TEST_F(KeyringTest, AHeaderNamingAnotherExistingVersionDoesNotUnwrap) {
  auto store = OpenKeyringStore();
  keyring_.Rotate();
  const BlobInfo info = WriteBlob(*store, Pattern(20, 1));
  SetKeyVersion(info.id, 1);
  ExpectTampered(*store, info.id, "data key does not unwrap under service key version 1");
}

TEST_F(KeyringTest, AHeaderNamingAnUnknownVersionFails) {
  auto store = OpenKeyringStore();
  const BlobInfo info = WriteBlob(*store, Pattern(20, 1));
  SetKeyVersion(info.id, 7);
  ExpectTampered(*store, info.id, "service key version 7 does not exist");
}

TEST_F(KeyringTest, ATamperedWrappedKeyFails) {
  auto store = OpenKeyringStore();
  const BlobInfo info = WriteBlob(*store, Pattern(20, 1));
  for (std::size_t at : {kWrappedAt, kWrappedAt + 12, kWrappedAt + 12 + 32 + 15}) {
    std::string raw = ReadFileBytes(BlobPath(info.id));
    const std::string original = raw;
    raw[at] = static_cast<char>(raw[at] ^ 0x01);
    WriteFileBytes(BlobPath(info.id), raw);
    ExpectTampered(*store, info.id, "data key does not unwrap under service key version 1");
    WriteFileBytes(BlobPath(info.id), original);
  }
  EXPECT_TRUE(store->Open(info.id).ok());
}

TEST_F(KeyringTest, AVersion3FileRelabelledAsVersion2DoesNotOpen) {
  auto store = OpenKeyringStore();
  const BlobInfo info = WriteBlob(*store, Pattern(20, 1));
  std::string raw = ReadFileBytes(BlobPath(info.id));
  raw[kVersionAt] = 2;
  WriteFileBytes(BlobPath(info.id), raw);
  auto reader = store->Open(info.id);
  ASSERT_FALSE(reader.ok());
  EXPECT_EQ(reader.status().code(), ErrorCode::kInternal);
}

TEST_F(KeyringTest, AVersion3FileWithoutAKeyringFails) {
  const BlobInfo info = WriteBlob(*OpenKeyringStore(), Pattern(20, 1));
  ExpectTampered(*OpenStore(), info.id, "a version 3 blob and no service keyring to open it");
}

TEST_F(KeyringTest, AnUnreachableKeyringIsNotReportedAsTampering) {
  auto store = OpenKeyringStore();
  const BlobInfo info = WriteBlob(*store, Pattern(20, 1));
  keyring_.unavailable_ = true;
  EXPECT_EQ(store->Open(info.id).status().code(), ErrorCode::kUnavailable);
  EXPECT_EQ(store->Create().status().code(), ErrorCode::kUnavailable);
  keyring_.unavailable_ = false;
  EXPECT_TRUE(store->Open(info.id).ok());
}

TEST_F(KeyringTest, TruncatedKeyVersionIsABadHeader) {
  const std::string start =
      std::string("CFBL") + '\x03' + '\x00' + std::string("\x00\x00\x00\x10", 4) + "\x00\x00";
  auto header = internal::ParseHeader(AsBytes(start), "id");
  ASSERT_FALSE(header.ok());
  EXPECT_THAT(header.status().message(), HasSubstr("key version truncated"));
}

TEST(SealKeyTest, RoundTripsAndRefusesAnotherAadOrKey) {
  crypto::OsRandom random;
  const Bytes kek(32, 0x01), other(32, 0x02), key(32, 0x33);
  auto wrapped = SealKey(kek, key, "aad", random);
  ASSERT_TRUE(wrapped.ok());
  EXPECT_EQ(wrapped->size(), key.size() + kKeyWrapOverhead);
  auto opened = OpenKey(kek, *wrapped, "aad");
  ASSERT_TRUE(opened.ok());
  EXPECT_TRUE(std::equal(key.begin(), key.end(), opened->view().begin(), opened->view().end()));
  EXPECT_EQ(OpenKey(kek, *wrapped, "other").status().code(), ErrorCode::kInternal);
  EXPECT_EQ(OpenKey(other, *wrapped, "aad").status().code(), ErrorCode::kInternal);
  EXPECT_EQ(OpenKey(kek, ByteView(*wrapped).first(kKeyWrapOverhead - 1), "aad").status().code(),
            ErrorCode::kInternal);
  EXPECT_EQ(SealKey(ByteView(kek).first(16), key, "aad", random).status().code(), ErrorCode::kInternal);
}

}  // namespace
}  // namespace coffer::blobs::testing

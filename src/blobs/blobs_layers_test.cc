// Blobs bound to keys the caller holds (BlobKeys): every layer round-trips,
// a blob opens only with exactly the keys it was created with, and a wrong,
// missing, extra or swapped key is refused at Open with kAccessDenied.
#include <gmock/gmock.h>

#include <array>
#include <random>

#include "blobs/blobs_test_util.h"

namespace coffer::blobs::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;

enum class Kind { kRootOnly, kObjectKey, kDouble };

std::string KindName(Kind kind) {
  constexpr std::array<const char*, 3> kNames = {"RootOnly", "ObjectKey", "Double"};
  return kNames.at(static_cast<std::size_t>(kind));
}

class LayerTest : public BlobTest {
 protected:
  static BlobKeys Object(const SecretBytes& key) { return {&key, nullptr}; }
  static BlobKeys Inner(const SecretBytes& key) { return {nullptr, &key}; }
  BlobKeys KeysFor(Kind kind) const {
    if (kind == Kind::kObjectKey) return Object(key_a_);
    if (kind == Kind::kDouble) return Inner(key_a_);
    return {};
  }

  // Open must refuse with exactly the status the S3 side maps to AccessDenied.
  static void ExpectKeyRefused(const StatusOr<std::unique_ptr<BlobReader>>& reader, std::string_view id) {
    ASSERT_FALSE(reader.ok());
    EXPECT_EQ(reader.status().code(), ErrorCode::kAccessDenied) << reader.status().ToString();
    EXPECT_EQ(reader.status().message(), "blob " + std::string(id) + ": the key given does not open it");
  }

  const SecretBytes key_a_{Bytes(32, 0xa1)};
  const SecretBytes key_b_{Bytes(32, 0xb2)};
};

class LayerRoundTripTest : public LayerTest,
                           public ::testing::WithParamInterface<std::tuple<Kind, std::size_t>> {};

TEST_P(LayerRoundTripTest, ReadsBackWholeAndAtRandomOffsets) {
  const auto [kind, size] = GetParam();
  auto store = OpenStore();
  const std::string data = Pattern(size, 11);
  const BlobInfo info = WriteBlob(*store, data, static_cast<std::uint32_t>(size), KeysFor(kind));
  EXPECT_EQ(info.size, size);
  auto reader = store->Open(info.id, KeysFor(kind));
  ASSERT_TRUE(reader.ok()) << reader.status().ToString();
  EXPECT_EQ((*reader)->size(), size);
  EXPECT_EQ(ReadAll(**reader), data);
  std::mt19937 rng(static_cast<std::uint32_t>(size) + 1);
  for (int i = 0; i < 200; ++i) {
    const std::size_t offset = rng() % (size + 3);
    std::string out(rng() % (3 * kSmallSegment + 1), '?');
    auto n = (*reader)->ReadAt(offset, out);
    ASSERT_TRUE(n.ok()) << n.status().ToString();
    const std::string expected = offset < size ? data.substr(offset, out.size()) : "";
    ASSERT_EQ(*n, expected.size()) << "offset " << offset << " len " << out.size();
    EXPECT_EQ(out.substr(0, *n), expected) << "offset " << offset << " len " << out.size();
  }
}

// 0, 1, segment-1, segment, segment+1, several segments.
INSTANTIATE_TEST_SUITE_P(
    LayersAndSizes, LayerRoundTripTest,
    ::testing::Combine(::testing::Values(Kind::kRootOnly, Kind::kObjectKey, Kind::kDouble),
                       ::testing::Values(0, 1, kSmallSegment - 1, kSmallSegment, kSmallSegment + 1,
                                         kSmallSegment * 7 / 2, 5 * kSmallSegment + 3)),
    [](const auto& info) {
      return KindName(std::get<0>(info.param)) + "_" + std::to_string(std::get<1>(info.param));
    });

TEST_F(LayerTest, DoubleLayerAddsASecondTagPerSegment) {
  auto store = OpenStore();
  const std::size_t size = kSmallSegment * 7 / 2;
  const std::string single = WriteBlob(*store, Pattern(size, 1), 1, Object(key_a_)).id;
  const std::string dual = WriteBlob(*store, Pattern(size, 1), 1, Inner(key_a_)).id;
  EXPECT_EQ(fs::file_size(BlobPath(dual)) - fs::file_size(BlobPath(single)), 4 * kTagLen);
}

TEST_F(LayerTest, DefaultSegmentSizeRoundTripsEveryLayer) {
  auto store = OpenStore(FileBlobStoreOptions{}.segment_bytes);
  const std::string data = Pattern(2 * 64 * 1024 + 777, 4);
  for (const Kind kind : {Kind::kObjectKey, Kind::kDouble}) {
    auto reader = store->Open(WriteBlob(*store, data, 2, KeysFor(kind)).id, KeysFor(kind));
    ASSERT_TRUE(reader.ok()) << KindName(kind) << ": " << reader.status().ToString();
    EXPECT_EQ(ReadAll(**reader), data) << KindName(kind);
  }
}

TEST_F(LayerTest, KeysNeedOnlyOutliveTheCall) {
  auto store = OpenStore();
  const std::string data = Pattern(40, 2);
  std::string id;
  std::unique_ptr<BlobReader> reader;
  {
    const SecretBytes key(Bytes(32, 0x5c));
    auto writer = store->Create(Object(key));
    ASSERT_TRUE(writer.ok());
    ASSERT_TRUE((*writer)->Write(data).ok());
    id = (*writer)->Commit().value().id;
    reader = std::move(store->Open(id, Object(key))).value();
  }
  EXPECT_EQ(ReadAll(*reader), data);
}

TEST_F(LayerTest, WrongObjectKeyIsRefusedAtOpen) {
  auto store = OpenStore();
  for (const std::size_t size : {std::size_t{0}, kSmallSegment * 7 / 2}) {
    const std::string id = WriteBlob(*store, Pattern(size, 3), 1, Object(key_a_)).id;
    ExpectKeyRefused(store->Open(id, Object(key_b_)), id);
  }
}

TEST_F(LayerTest, WrongInnerKeyIsRefusedAtOpen) {
  auto store = OpenStore();
  for (const std::size_t size : {std::size_t{0}, kSmallSegment * 7 / 2}) {
    const std::string id = WriteBlob(*store, Pattern(size, 3), 1, Inner(key_a_)).id;
    ExpectKeyRefused(store->Open(id, Inner(key_b_)), id);
  }
}

TEST_F(LayerTest, MissingKeyIsRefused) {
  auto store = OpenStore();
  for (const Kind kind : {Kind::kObjectKey, Kind::kDouble}) {
    const std::string id = WriteBlob(*store, Pattern(20, 3), 1, KeysFor(kind)).id;
    ExpectKeyRefused(store->Open(id), id);
  }
}

TEST_F(LayerTest, ExtraKeyOnAnUnboundBlobIsRefused) {
  auto store = OpenStore();
  const std::string id = WriteBlob(*store, Pattern(20, 3)).id;
  ExpectKeyRefused(store->Open(id, Object(key_a_)), id);
  ExpectKeyRefused(store->Open(id, Inner(key_a_)), id);
}

TEST_F(LayerTest, InnerAndObjectKeySwappedAreRefused) {
  auto store = OpenStore();
  const std::string bound = WriteBlob(*store, Pattern(20, 3), 1, Object(key_a_)).id;
  const std::string dual = WriteBlob(*store, Pattern(20, 3), 1, Inner(key_a_)).id;
  ExpectKeyRefused(store->Open(bound, Inner(key_a_)), bound);
  ExpectKeyRefused(store->Open(dual, Object(key_a_)), dual);
}

TEST_F(LayerTest, MalformedKeysAreValidationErrorsNamingTheField) {
  auto store = OpenStore();
  const std::string id = WriteBlob(*store, Pattern(20, 3), 1, Object(key_a_)).id;
  const SecretBytes short_key(Bytes(31, 1));
  const SecretBytes long_key(Bytes(33, 1));
  const SecretBytes empty_key;
  const struct {
    BlobKeys keys;
    std::string field;
  } cases[] = {{Object(short_key), "object_key"},
               {Object(empty_key), "object_key"},
               {Inner(long_key), "inner_key"},
               {BlobKeys{&key_a_, &key_b_}, "object_key and inner_key cannot both"}};
  for (const auto& c : cases) {
    const Status created = store->Create(c.keys).status();
    EXPECT_EQ(created.code(), ErrorCode::kValidation) << c.field;
    EXPECT_THAT(created.message(), HasSubstr(c.field));
    const Status opened = store->Open(id, c.keys).status();
    EXPECT_EQ(opened.code(), ErrorCode::kValidation) << c.field;
    EXPECT_THAT(opened.message(), HasSubstr(c.field));
  }
  std::vector<std::string> partials;
  for (const auto& entry : fs::directory_iterator(dir_ / "tmp")) partials.push_back(entry.path().string());
  EXPECT_THAT(partials, IsEmpty());
}

// The layer byte sits after magic and version; it is bound into the data
// key's unwrap AAD, so changing it fails as tampering, whatever keys are given.
TEST_F(LayerTest, FlippedLayerByteFailsAsTampering) {
  constexpr std::size_t kLayerOffset = 5;
  auto store = OpenStore();
  const struct {
    Kind written;
    char flipped_to;
  } cases[] = {{Kind::kObjectKey, 0}, {Kind::kObjectKey, 2}, {Kind::kDouble, 0},
               {Kind::kDouble, 1},    {Kind::kRootOnly, 1},  {Kind::kRootOnly, 2}};
  for (const auto& c : cases) {
    const std::string id = WriteBlob(*store, Pattern(40, 3), 1, KeysFor(c.written)).id;
    std::string file = ReadFileBytes(BlobPath(id));
    ASSERT_EQ(file[4], 2) << "format version";
    ASSERT_EQ(file[kLayerOffset], static_cast<char>(c.written));
    file[kLayerOffset] = c.flipped_to;
    WriteFileBytes(BlobPath(id), file);
    const Kind as_flipped = static_cast<Kind>(c.flipped_to);
    for (const BlobKeys& keys : {KeysFor(c.written), KeysFor(as_flipped)}) {
      const Status status = store->Open(id, keys).status();
      EXPECT_EQ(status.code(), ErrorCode::kInternal) << status.ToString();
      EXPECT_THAT(status.message(), HasSubstr("data key does not unwrap"));
    }
  }
}

TEST_F(LayerTest, UnknownLayerByteIsABadHeader) {
  auto store = OpenStore();
  const std::string id = WriteBlob(*store, Pattern(40, 3)).id;
  std::string file = ReadFileBytes(BlobPath(id));
  file[5] = 3;
  WriteFileBytes(BlobPath(id), file);
  const Status status = store->Open(id).status();
  EXPECT_EQ(status.code(), ErrorCode::kInternal);
  EXPECT_THAT(status.message(), HasSubstr("unknown layer"));
}

// A format-1 file built here from its spec (docs/blobs.md), byte by byte, as
// the code before the layer byte wrote it: 16-byte segments.
class V1FileTest : public LayerTest {
 protected:
  static void PutU64(std::string& out, std::uint64_t v) {
    for (int shift = 56; shift >= 0; shift -= 8) out.push_back(static_cast<char>(v >> shift));
  }
  static std::string SegmentAad(std::string_view id, std::uint64_t index, bool final, std::uint64_t size) {
    std::string aad = "coffer:blob-segment:v1";
    aad.push_back(static_cast<char>(id.size()));
    aad += id;
    PutU64(aad, index);
    aad.push_back(final ? 1 : 0);
    PutU64(aad, final ? size : 0);
    return aad;
  }
  void WriteV1File(std::string_view id, std::string_view data) {
    const SecretBytes data_key(Bytes(32, 0x77));
    const Bytes wrapped =
        root_.Wrap(data_key.view(), "coffer:blob-data-key:v1:" + std::string(id) + ":16").value();
    std::string file = "CFBL";
    file += std::string{'\x01', '\0', '\0', '\0', '\x10'};  // version 1, segment_bytes 16
    file.push_back(static_cast<char>(wrapped.size() >> 8));
    file.push_back(static_cast<char>(wrapped.size()));
    file += AsChars(wrapped);
    PutU64(file, data.size());
    const std::size_t count = std::max<std::size_t>(1, (data.size() + kSmallSegment - 1) / kSmallSegment);
    for (std::size_t index = 0; index < count; ++index) {
      const std::string_view plain = data.substr(std::min(data.size(), index * kSmallSegment), kSmallSegment);
      std::array<std::uint8_t, 12> nonce{};
      nonce[11] = static_cast<std::uint8_t>(index);
      Bytes sealed(plain.size() + kTagLen);
      ASSERT_TRUE(crypto::AesGcmSeal(data_key.view(), nonce,
                                     AsBytes(SegmentAad(id, index, index + 1 == count, data.size())),
                                     AsBytes(plain), std::span(sealed).first(plain.size()),
                                     std::span(sealed).subspan(plain.size()).first<kTagLen>())
                      .ok());
      file += AsChars(sealed);
    }
    fs::create_directories(BlobPath(id).parent_path());
    WriteFileBytes(BlobPath(id), file);
  }
};

TEST_F(V1FileTest, OpensWithoutKeysAndReadsBack) {
  auto store = OpenStore();
  for (const std::size_t size : {std::size_t{0}, std::size_t{1}, kSmallSegment, kSmallSegment * 7 / 2}) {
    const std::string id = std::string(31, 'a') + static_cast<char>('0' + size % 10);
    const std::string data = Pattern(size, 6);
    WriteV1File(id, data);
    auto reader = store->Open(id);
    ASSERT_TRUE(reader.ok()) << reader.status().ToString();
    EXPECT_EQ((*reader)->size(), size);
    EXPECT_EQ(ReadAll(**reader), data);
    std::string out(5, '?');
    if (size > 3) {
      ASSERT_EQ((*reader)->ReadAt(size - 3, out).value(), 3u);
      EXPECT_EQ(out.substr(0, 3), data.substr(size - 3));
    }
  }
}

TEST_F(V1FileTest, KeysGivenForAV1FileAreRefused) {
  auto store = OpenStore();
  const std::string id(32, 'b');
  WriteV1File(id, Pattern(20, 6));
  ExpectKeyRefused(store->Open(id, Object(key_a_)), id);
  ExpectKeyRefused(store->Open(id, Inner(key_a_)), id);
}

TEST_F(V1FileTest, AV1FileRelabelledAsV2DoesNotOpen) {
  auto store = OpenStore();
  const std::string id(32, 'c');
  WriteV1File(id, Pattern(20, 6));
  std::string file = ReadFileBytes(BlobPath(id));
  file[4] = 2;
  file.insert(5, 1, '\0');  // layer 0: every byte of v1 still in place
  WriteFileBytes(BlobPath(id), file);
  const Status status = store->Open(id).status();
  EXPECT_EQ(status.code(), ErrorCode::kInternal);
  EXPECT_THAT(status.message(), HasSubstr("data key does not unwrap"));
}

}  // namespace
}  // namespace coffer::blobs::testing

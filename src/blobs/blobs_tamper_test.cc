// Every check that rejects a blob file, each fed exactly the bad input it
// exists for, for each layer (root only, bound to an object key, double). A
// tampered blob must fail with kInternal "blob <id> failed authentication" (or
// "bad header"); it must never return wrong bytes. One exception: at Open, a
// final segment that does not verify under a key derived from the caller's
// object key cannot be told from a wrong key, so it is kAccessDenied.
#include <gmock/gmock.h>

#include <array>

#include "blobs/blobs_test_util.h"

namespace coffer::blobs::testing {
namespace {

using ::testing::HasSubstr;

enum class Layer { kRootOnly, kObjectKey, kDouble };

// 3.5 segments of 16 bytes: segments 0-2 are 16 bytes + a tag per layer on
// disk, the final one 8 + a tag per layer.
constexpr std::size_t kSize = kSmallSegment * 7 / 2;

class TamperTest : public BlobTest, public ::testing::WithParamInterface<Layer> {
 protected:
  void SetUp() override {
    store_ = OpenStore();
    id_ = WriteBlob(*store_, Pattern(kSize, 7), 1, Keys()).id;
    header_len_ = HeaderLen(id_, kSize, Overhead());
    file_ = ReadFileBytes(BlobPath(id_));
  }

  BlobKeys Keys() const {
    if (GetParam() == Layer::kObjectKey) return {&caller_key_, nullptr};
    if (GetParam() == Layer::kDouble) return {nullptr, &caller_key_};
    return {};
  }
  std::size_t Overhead() const { return GetParam() == Layer::kDouble ? 2 * kTagLen : kTagLen; }
  std::size_t FullSegmentLen() const { return kSmallSegment + Overhead(); }
  std::size_t FinalSegmentLen() const { return kSize % kSmallSegment + Overhead(); }
  std::size_t SegmentAt(std::size_t index) const { return header_len_ + index * FullSegmentLen(); }
  StatusOr<std::unique_ptr<BlobReader>> Open() { return store_->Open(id_, Keys()); }
  void SetRecordedSize(std::uint64_t size) {
    for (std::size_t i = 0; i < 8; ++i) file_[header_len_ - 8 + i] = static_cast<char>(size >> (56 - 8 * i));
  }
  void Save() { WriteFileBytes(BlobPath(id_), file_); }

  static void ExpectAuthFailure(const Status& status) {
    EXPECT_EQ(status.code(), ErrorCode::kInternal) << status.ToString();
    EXPECT_THAT(status.message(), HasSubstr("failed authentication"));
  }
  void ExpectOpenFails() {
    Save();
    ExpectAuthFailure(Open().status());
  }
  // Open authenticates the final segment under the caller's key, if any.
  void ExpectFinalSegmentFailsOpen() {
    Save();
    const Status status = Open().status();
    if (GetParam() != Layer::kObjectKey) return ExpectAuthFailure(status);
    EXPECT_EQ(status.code(), ErrorCode::kAccessDenied) << status.ToString();
    EXPECT_THAT(status.message(), HasSubstr("the key given does not open it"));
  }
  // Opens, then expects reading segment `index` to fail.
  void ExpectSegmentFails(std::size_t index) {
    Save();
    auto reader = Open();
    ASSERT_TRUE(reader.ok()) << reader.status().ToString();
    std::string out(kSmallSegment, '?');
    auto n = (*reader)->ReadAt(index * kSmallSegment, out);
    ASSERT_FALSE(n.ok());
    ExpectAuthFailure(n.status());
    EXPECT_THAT(n.status().message(), HasSubstr("segment " + std::to_string(index)));
  }

  const SecretBytes caller_key_{Bytes(32, 0x6b)};
  std::unique_ptr<BlobStore> store_;
  std::string id_;
  std::size_t header_len_ = 0;
  std::string file_;
};

TEST_P(TamperTest, UntouchedFileReadsBack) {
  EXPECT_EQ(file_.size(), header_len_ + 3 * FullSegmentLen() + FinalSegmentLen());
  auto reader = Open();
  ASSERT_TRUE(reader.ok());
  EXPECT_EQ(ReadAll(**reader), Pattern(kSize, 7));
}

TEST_P(TamperTest, FlippedCiphertextByteFailsThatSegmentOnly) {
  file_[SegmentAt(1) + 3] ^= 0x01;
  ExpectSegmentFails(1);
  auto reader = Open();
  ASSERT_TRUE(reader.ok());
  std::string out(kSmallSegment, '?');
  EXPECT_TRUE((*reader)->ReadAt(0, out).ok());  // segment 0 is intact
}

TEST_P(TamperTest, AFailedReadWipesWhatItAlreadyCopied) {
  file_[SegmentAt(1) + 3] ^= 0x01;
  Save();
  auto reader = Open();
  ASSERT_TRUE(reader.ok());
  std::string out(2 * kSmallSegment, '?');
  ASSERT_FALSE((*reader)->ReadAt(0, out).ok());
  EXPECT_EQ(out.substr(0, kSmallSegment), std::string(kSmallSegment, '\0'));
}

TEST_P(TamperTest, FlippedCiphertextByteInTheFinalSegmentFailsOpen) {
  file_[SegmentAt(3) + 1] ^= 0x01;
  ExpectFinalSegmentFailsOpen();
}

TEST_P(TamperTest, FlippedTagByte) {
  file_[SegmentAt(0) + kSmallSegment + 5] ^= 0x80;
  ExpectSegmentFails(0);
}

TEST_P(TamperTest, SwappedPairOfSegments) {
  const std::string first = file_.substr(SegmentAt(0), FullSegmentLen());
  const std::string second = file_.substr(SegmentAt(1), FullSegmentLen());
  file_.replace(SegmentAt(0), FullSegmentLen(), second);
  file_.replace(SegmentAt(1), FullSegmentLen(), first);
  ExpectSegmentFails(0);
  ExpectSegmentFails(1);
}

TEST_P(TamperTest, TruncatedFinalSegment) {
  file_.pop_back();
  ExpectOpenFails();
}

TEST_P(TamperTest, TruncatedFinalSegmentWithTheSizeFieldAdjusted) {
  file_.erase(SegmentAt(3) + FinalSegmentLen() - kTagLen - 1, 1);  // one byte less under the outer tag
  SetRecordedSize(kSize - 1);
  ExpectFinalSegmentFailsOpen();
}

TEST_P(TamperTest, DroppedFinalSegment) {
  file_.resize(SegmentAt(3));
  ExpectOpenFails();
}

TEST_P(TamperTest, DroppedFinalSegmentWithTheSizeFieldAdjusted) {
  file_.resize(SegmentAt(3));
  SetRecordedSize(3 * kSmallSegment);  // segment 2 was not sealed as final
  ExpectFinalSegmentFailsOpen();
}

TEST_P(TamperTest, AppendedSegment) {
  file_ += file_.substr(SegmentAt(1), FullSegmentLen());
  ExpectOpenFails();
}

TEST_P(TamperTest, AppendedSegmentWithTheSizeFieldAdjusted) {
  // Replace the short final segment by full segment 1 and append segment 2:
  // five full segments, the last one claiming to be final.
  file_.resize(SegmentAt(3));
  file_ += file_.substr(SegmentAt(1), FullSegmentLen()) + file_.substr(SegmentAt(2), FullSegmentLen());
  SetRecordedSize(5 * kSmallSegment);
  ExpectFinalSegmentFailsOpen();
}

TEST_P(TamperTest, FileCopiedToAnotherIdsPath) {
  const std::string other = WriteBlob(*store_, Pattern(kSize, 8), 1, Keys()).id;
  fs::copy_file(BlobPath(id_), BlobPath(other), fs::copy_options::overwrite_existing);
  auto reader = store_->Open(other, Keys());
  ASSERT_FALSE(reader.ok());
  ExpectAuthFailure(reader.status());
  EXPECT_THAT(reader.status().message(), HasSubstr(other));
}

TEST_P(TamperTest, WrongMagic) {
  file_[0] ^= 0x01;
  Save();
  auto reader = Open();
  EXPECT_EQ(reader.status().code(), ErrorCode::kInternal);
  EXPECT_THAT(reader.status().message(), HasSubstr("not a blob file"));
}

TEST_P(TamperTest, WrongVersion) {
  file_[4] = 4;  // versions 1 to 3 exist
  Save();
  auto reader = Open();
  EXPECT_EQ(reader.status().code(), ErrorCode::kInternal);
  EXPECT_THAT(reader.status().message(), HasSubstr("unsupported format version"));
}

TEST_P(TamperTest, ChangedSegmentSize) {
  file_[9] = 8;  // low byte of segment_bytes (after magic, version, layer): 16 -> 8
  ExpectOpenFails();
}

TEST_P(TamperTest, EmptyFile) {
  file_.clear();
  Save();
  EXPECT_THAT(Open().status().message(), HasSubstr("bad header"));
}

TEST_P(TamperTest, WrongRootKey) {
  const rootkey::SoftwareRootKey other(SecretBytes(Bytes(32, 0x43)), random_);
  auto store = OpenStore(kSmallSegment, &other);
  auto reader = store->Open(id_, Keys());
  ASSERT_FALSE(reader.ok());
  ExpectAuthFailure(reader.status());
}

// Whatever single byte changes, the blob either does not open or every read
// of it fails: it never yields bytes other than those written.
TEST_P(TamperTest, NoSingleFlippedByteYieldsWrongBytes) {
  const std::string original = file_;
  for (std::size_t i = 0; i < original.size(); ++i) {
    file_ = original;
    file_[i] ^= 0x04;
    Save();
    auto reader = Open();
    if (!reader.ok()) continue;
    std::string out(kSize, '\0');
    auto n = (*reader)->ReadAt(0, out);
    EXPECT_FALSE(n.ok()) << "byte " << i << " changed without detection";
  }
}

// A blob of one segment is read whole and decrypted in place, in the buffer
// it was read into, at Open: it reads back at every offset, as often as
// asked, and a flipped byte of its sealed segment fails Open.
TEST_P(TamperTest, AOneSegmentBlobReadsBackAndAnyFlippedSegmentByteFailsOpen) {
  const std::string data = Pattern(kSmallSegment - 3, 11);
  id_ = WriteBlob(*store_, data, 1, Keys()).id;
  header_len_ = HeaderLen(id_, data.size(), Overhead());
  const std::string original = ReadFileBytes(BlobPath(id_));
  ASSERT_EQ(original.size(), header_len_ + data.size() + Overhead());
  {
    auto reader = Open();
    ASSERT_TRUE(reader.ok()) << reader.status().ToString();
    for (int round = 0; round < 2; ++round) {
      for (std::size_t offset = 0; offset <= data.size(); ++offset) {
        std::string out(data.size(), '?');
        auto n = (*reader)->ReadAt(offset, out);
        ASSERT_TRUE(n.ok()) << n.status().ToString();
        EXPECT_EQ(out.substr(0, *n), data.substr(offset)) << "offset " << offset;
      }
    }
  }
  for (std::size_t i = header_len_; i < original.size(); ++i) {
    file_ = original;
    file_[i] ^= 0x04;
    Save();
    const Status status = Open().status();
    EXPECT_FALSE(status.ok()) << "byte " << i << " changed without detection";
    if (GetParam() == Layer::kObjectKey) {
      EXPECT_EQ(status.code(), ErrorCode::kAccessDenied) << status.ToString();
    } else {
      ExpectAuthFailure(status);
    }
  }
}

std::string LayerName(const ::testing::TestParamInfo<Layer>& info) {
  constexpr std::array<const char*, 3> kNames = {"RootOnly", "ObjectKey", "Double"};
  return kNames.at(static_cast<std::size_t>(info.param));
}

INSTANTIATE_TEST_SUITE_P(Layers, TamperTest,
                         ::testing::Values(Layer::kRootOnly, Layer::kObjectKey, Layer::kDouble), LayerName);

}  // namespace
}  // namespace coffer::blobs::testing

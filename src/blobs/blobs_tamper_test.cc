// Every check that rejects a blob file, each fed exactly the bad input it
// exists for. A tampered blob must fail with kInternal "blob <id> failed
// authentication" (or "bad header"); it must never return wrong bytes.
#include <gmock/gmock.h>

#include "blobs/blobs_test_util.h"

namespace coffer::blobs::testing {
namespace {

using ::testing::HasSubstr;

// 3.5 segments of 16 bytes: segments 0-2 are 16 + 16 bytes on disk, the final
// one 8 + 16.
constexpr std::size_t kSize = kSmallSegment * 7 / 2;
constexpr std::size_t kFullSegmentLen = kSmallSegment + kTagLen;
constexpr std::size_t kFinalSegmentLen = kSize % kSmallSegment + kTagLen;

class TamperTest : public BlobTest {
 protected:
  void SetUp() override {
    store_ = OpenStore();
    id_ = WriteBlob(*store_, Pattern(kSize, 7)).id;
    header_len_ = HeaderLen(id_, kSize);
    file_ = ReadFileBytes(BlobPath(id_));
  }

  std::size_t SegmentAt(std::size_t index) const { return header_len_ + index * kFullSegmentLen; }
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
    ExpectAuthFailure(store_->Open(id_).status());
  }
  // Opens, then expects reading segment `index` to fail.
  void ExpectSegmentFails(std::size_t index) {
    Save();
    auto reader = store_->Open(id_);
    ASSERT_TRUE(reader.ok()) << reader.status().ToString();
    std::string out(kSmallSegment, '?');
    auto n = (*reader)->ReadAt(index * kSmallSegment, out);
    ASSERT_FALSE(n.ok());
    ExpectAuthFailure(n.status());
    EXPECT_THAT(n.status().message(), HasSubstr("segment " + std::to_string(index)));
  }

  std::unique_ptr<BlobStore> store_;
  std::string id_;
  std::size_t header_len_ = 0;
  std::string file_;
};

TEST_F(TamperTest, UntouchedFileReadsBack) {
  EXPECT_EQ(file_.size(), header_len_ + 3 * kFullSegmentLen + kFinalSegmentLen);
  auto reader = store_->Open(id_);
  ASSERT_TRUE(reader.ok());
  EXPECT_EQ(ReadAll(**reader), Pattern(kSize, 7));
}

TEST_F(TamperTest, FlippedCiphertextByteFailsThatSegmentOnly) {
  file_[SegmentAt(1) + 3] ^= 0x01;
  ExpectSegmentFails(1);
  auto reader = store_->Open(id_);
  ASSERT_TRUE(reader.ok());
  std::string out(kSmallSegment, '?');
  EXPECT_TRUE((*reader)->ReadAt(0, out).ok());  // segment 0 is intact
}

TEST_F(TamperTest, AFailedReadWipesWhatItAlreadyCopied) {
  file_[SegmentAt(1) + 3] ^= 0x01;
  Save();
  auto reader = store_->Open(id_);
  ASSERT_TRUE(reader.ok());
  std::string out(2 * kSmallSegment, '?');
  ASSERT_FALSE((*reader)->ReadAt(0, out).ok());
  EXPECT_EQ(out.substr(0, kSmallSegment), std::string(kSmallSegment, '\0'));
}

TEST_F(TamperTest, FlippedCiphertextByteInTheFinalSegmentFailsOpen) {
  file_[SegmentAt(3) + 1] ^= 0x01;
  ExpectOpenFails();
}

TEST_F(TamperTest, FlippedTagByte) {
  file_[SegmentAt(0) + kSmallSegment + 5] ^= 0x80;
  ExpectSegmentFails(0);
}

TEST_F(TamperTest, SwappedPairOfSegments) {
  const std::string first = file_.substr(SegmentAt(0), kFullSegmentLen);
  const std::string second = file_.substr(SegmentAt(1), kFullSegmentLen);
  file_.replace(SegmentAt(0), kFullSegmentLen, second);
  file_.replace(SegmentAt(1), kFullSegmentLen, first);
  ExpectSegmentFails(0);
  ExpectSegmentFails(1);
}

TEST_F(TamperTest, TruncatedFinalSegment) {
  file_.pop_back();
  ExpectOpenFails();
}

TEST_F(TamperTest, TruncatedFinalSegmentWithTheSizeFieldAdjusted) {
  file_.erase(SegmentAt(3) + kFinalSegmentLen - kTagLen - 1, 1);  // drop the last plaintext byte's ciphertext
  SetRecordedSize(kSize - 1);
  ExpectOpenFails();
}

TEST_F(TamperTest, DroppedFinalSegment) {
  file_.resize(SegmentAt(3));
  ExpectOpenFails();
}

TEST_F(TamperTest, DroppedFinalSegmentWithTheSizeFieldAdjusted) {
  file_.resize(SegmentAt(3));
  SetRecordedSize(3 * kSmallSegment);  // segment 2 was not sealed as final
  ExpectOpenFails();
}

TEST_F(TamperTest, AppendedSegment) {
  file_ += file_.substr(SegmentAt(1), kFullSegmentLen);
  ExpectOpenFails();
}

TEST_F(TamperTest, AppendedSegmentWithTheSizeFieldAdjusted) {
  // Replace the short final segment by full segment 1 and append segment 2:
  // five full segments, the last one claiming to be final.
  file_.resize(SegmentAt(3));
  file_ += file_.substr(SegmentAt(1), kFullSegmentLen) + file_.substr(SegmentAt(2), kFullSegmentLen);
  SetRecordedSize(5 * kSmallSegment);
  ExpectOpenFails();
}

TEST_F(TamperTest, FileCopiedToAnotherIdsPath) {
  const std::string other = WriteBlob(*store_, Pattern(kSize, 8)).id;
  fs::copy_file(BlobPath(id_), BlobPath(other), fs::copy_options::overwrite_existing);
  auto reader = store_->Open(other);
  ASSERT_FALSE(reader.ok());
  ExpectAuthFailure(reader.status());
  EXPECT_THAT(reader.status().message(), HasSubstr(other));
}

TEST_F(TamperTest, WrongMagic) {
  file_[0] ^= 0x01;
  Save();
  auto reader = store_->Open(id_);
  EXPECT_EQ(reader.status().code(), ErrorCode::kInternal);
  EXPECT_THAT(reader.status().message(), HasSubstr("not a blob file"));
}

TEST_F(TamperTest, WrongVersion) {
  file_[4] = 3;
  Save();
  auto reader = store_->Open(id_);
  EXPECT_EQ(reader.status().code(), ErrorCode::kInternal);
  EXPECT_THAT(reader.status().message(), HasSubstr("unsupported format version"));
}

TEST_F(TamperTest, ChangedSegmentSize) {
  file_[9] = 8;  // low byte of segment_bytes (after magic, version, layer): 16 -> 8
  ExpectOpenFails();
}

TEST_F(TamperTest, EmptyFile) {
  file_.clear();
  Save();
  EXPECT_THAT(store_->Open(id_).status().message(), HasSubstr("bad header"));
}

TEST_F(TamperTest, WrongRootKey) {
  const rootkey::RootKey other(SecretBytes(Bytes(32, 0x43)), random_);
  auto store = OpenStore(kSmallSegment, &other);
  auto reader = store->Open(id_);
  ASSERT_FALSE(reader.ok());
  ExpectAuthFailure(reader.status());
}

// Whatever single byte changes, the blob either does not open or every read
// of it fails: it never yields bytes other than those written.
TEST_F(TamperTest, NoSingleFlippedByteYieldsWrongBytes) {
  const std::string original = file_;
  for (std::size_t i = 0; i < original.size(); ++i) {
    file_ = original;
    file_[i] ^= 0x04;
    Save();
    auto reader = store_->Open(id_);
    if (!reader.ok()) continue;
    std::string out(kSize, '\0');
    auto n = (*reader)->ReadAt(0, out);
    EXPECT_FALSE(n.ok()) << "byte " << i << " changed without detection";
  }
}

}  // namespace
}  // namespace coffer::blobs::testing

// The blob store: what a writer and a reader guarantee, and how the store
// manages files across commits, discards, removals and crashes.
#include <gmock/gmock.h>

#include "blobs/blobs_test_util.h"

namespace coffer::blobs::testing {
namespace {

using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;

class RoundTripTest : public BlobTest, public ::testing::WithParamInterface<std::size_t> {};

TEST_P(RoundTripTest, WhatIsWrittenInRandomPiecesReadsBack) {
  auto store = OpenStore();
  const std::string data = Pattern(GetParam(), 3);
  const BlobInfo info = WriteBlob(*store, data, static_cast<std::uint32_t>(GetParam()));
  EXPECT_EQ(info.size, data.size());
  auto reader = store->Open(info.id);
  ASSERT_TRUE(reader.ok()) << reader.status().ToString();
  EXPECT_EQ((*reader)->size(), data.size());
  EXPECT_EQ(ReadAll(**reader), data);
}

// 0, 1, segment-1, segment, segment+1, 3.5 segments, and a few more.
INSTANTIATE_TEST_SUITE_P(Sizes, RoundTripTest,
                         ::testing::Values(0, 1, kSmallSegment - 1, kSmallSegment, kSmallSegment + 1,
                                           kSmallSegment * 7 / 2, 2 * kSmallSegment, 1000));

TEST_F(BlobTest, ReadAtEveryOffsetAndLengthMatchesTheData) {
  auto store = OpenStore();
  const std::string data = Pattern(kSmallSegment * 7 / 2, 5);
  auto reader = store->Open(WriteBlob(*store, data).id);
  ASSERT_TRUE(reader.ok());
  for (std::size_t offset = 0; offset <= data.size() + 2; ++offset) {
    for (std::size_t len = 0; len <= 2 * kSmallSegment + 2; ++len) {
      std::string out(len, '?');
      auto n = (*reader)->ReadAt(offset, out);
      ASSERT_TRUE(n.ok()) << n.status().ToString();
      const std::string expected = offset < data.size() ? data.substr(offset, len) : "";
      ASSERT_EQ(*n, expected.size()) << "offset " << offset << " len " << len;
      EXPECT_EQ(out.substr(0, *n), expected) << "offset " << offset << " len " << len;
    }
  }
}

TEST_F(BlobTest, ReadsFarPastTheEndReturnZero) {
  auto store = OpenStore();
  auto reader = store->Open(WriteBlob(*store, Pattern(20, 1)).id);
  ASSERT_TRUE(reader.ok());
  std::string out(8, '?');
  EXPECT_EQ((*reader)->ReadAt(20, out).value(), 0u);
  EXPECT_EQ((*reader)->ReadAt(~std::uint64_t{0}, out).value(), 0u);
}

TEST_F(BlobTest, DefaultSegmentSizeRoundTrips) {
  auto store = OpenStore(FileBlobStoreOptions{}.segment_bytes);
  const std::string data = Pattern(3 * 64 * 1024 + 12345, 9);
  auto reader = store->Open(WriteBlob(*store, data).id);
  ASSERT_TRUE(reader.ok());
  EXPECT_EQ(ReadAll(**reader), data);
}

TEST_F(BlobTest, IdsAre32LowerCaseHexAndDistinct) {
  auto store = OpenStore();
  const BlobInfo a = WriteBlob(*store, "a");
  const BlobInfo b = WriteBlob(*store, "b");
  EXPECT_THAT(a.id, ::testing::MatchesRegex("[0-9a-f]{32}"));
  EXPECT_NE(a.id, b.id);
  EXPECT_TRUE(fs::is_regular_file(BlobPath(a.id)));
}

TEST_F(BlobTest, AWriterDestroyedWithoutCommitLeavesNothing) {
  auto store = OpenStore();
  {
    auto writer = store->Create();
    ASSERT_TRUE(writer.ok());
    ASSERT_TRUE((*writer)->Write(Pattern(100, 1)).ok());
    EXPECT_FALSE(fs::is_empty(dir_ / "tmp"));
  }
  EXPECT_THAT(store->List().value(), IsEmpty());
  EXPECT_TRUE(fs::is_empty(dir_ / "tmp"));
}

TEST_F(BlobTest, ACommittedWriterRefusesMoreWork) {
  auto store = OpenStore();
  auto writer = store->Create();
  ASSERT_TRUE(writer.ok());
  ASSERT_TRUE((*writer)->Commit().ok());
  EXPECT_EQ((*writer)->Write("x").code(), ErrorCode::kInternal);
  EXPECT_EQ((*writer)->Commit().status().code(), ErrorCode::kInternal);
  EXPECT_TRUE(fs::is_empty(dir_ / "tmp"));
}

TEST_F(BlobTest, OpenOfAnUnknownIdIsNotFound) {
  auto store = OpenStore();
  EXPECT_EQ(store->Open("0123456789abcdef0123456789abcdef").status().code(), ErrorCode::kNotFound);
}

TEST_F(BlobTest, MalformedIdsAreRejectedBeforeTouchingFiles) {
  auto store = OpenStore();
  for (const std::string_view id : {"", "../../etc/passwd", "0123456789ABCDEF0123456789ABCDEF", "0123"}) {
    EXPECT_EQ(store->Open(id).status().code(), ErrorCode::kValidation) << id;
    EXPECT_EQ(store->Remove(id).code(), ErrorCode::kValidation) << id;
    EXPECT_EQ(store->Discard(id).code(), ErrorCode::kValidation) << id;
  }
}

TEST_F(BlobTest, ListNamesCommittedBlobsAndRemoveAndDiscardDeleteThem) {
  auto store = OpenStore();
  const BlobInfo a = WriteBlob(*store, "first");
  const BlobInfo b = WriteBlob(*store, "second");
  EXPECT_THAT(store->List().value(), UnorderedElementsAre(a.id, b.id));
  ASSERT_TRUE(store->Remove(a.id).ok());
  EXPECT_THAT(store->List().value(), UnorderedElementsAre(b.id));
  EXPECT_EQ(store->Open(a.id).status().code(), ErrorCode::kNotFound);
  EXPECT_TRUE(store->Remove(a.id).ok());  // absent is not an error
  // Discard is Remove without the directory fsync: the same visible effect.
  ASSERT_TRUE(store->Discard(b.id).ok());
  EXPECT_THAT(store->List().value(), IsEmpty());
  EXPECT_EQ(store->Open(b.id).status().code(), ErrorCode::kNotFound);
  EXPECT_TRUE(store->Discard(b.id).ok());
}

// Commit does not re-create shard directories (the store made all of them
// when it opened), except one that went away since.
TEST_F(BlobTest, ACommitRemakesAShardDirectoryRemovedSinceOpen) {
  auto store = OpenStore();
  for (const auto& entry : fs::directory_iterator(dir_)) {
    if (entry.path().filename() != "tmp") fs::remove(entry.path());
  }
  const BlobInfo info = WriteBlob(*store, Pattern(70, 4));
  EXPECT_TRUE(fs::is_directory(dir_ / info.id.substr(0, 2)));
  auto reader = store->Open(info.id);
  ASSERT_TRUE(reader.ok()) << reader.status().ToString();
  EXPECT_EQ(ReadAll(**reader), Pattern(70, 4));
}

TEST_F(BlobTest, BlobsSurviveReopeningTheStore) {
  BlobInfo info;
  {
    auto store = OpenStore();
    info = WriteBlob(*store, Pattern(50, 2));
  }
  auto store = OpenStore();
  auto reader = store->Open(info.id);
  ASSERT_TRUE(reader.ok());
  EXPECT_EQ(ReadAll(**reader), Pattern(50, 2));
}

TEST_F(BlobTest, PartialFilesLeftByACrashAreRemovedOnOpen) {
  OpenStore();
  const fs::path partial = dir_ / "tmp" / "0123456789abcdef0123456789abcdef.partial";
  WriteFileBytes(partial, "half a blob");
  auto store = OpenStore();
  EXPECT_FALSE(fs::exists(partial));
  EXPECT_THAT(store->List().value(), IsEmpty());
}

// Cluster nodes sharing one directory: a node starting up must not remove
// another node's upload in progress, only partials abandoned for a day.
TEST_F(BlobTest, ASharedStoreRemovesOnlyAbandonedPartialsOnOpen) {
  OpenStore();
  const fs::path fresh = dir_ / "tmp" / "0123456789abcdef0123456789abcdef.partial";
  const fs::path stale = dir_ / "tmp" / "fedcba9876543210fedcba9876543210.partial";
  WriteFileBytes(fresh, "an upload in progress");
  WriteFileBytes(stale, "left by a crash");
  fs::last_write_time(stale, fs::file_time_type::clock::now() - kSharedPartialAge - std::chrono::minutes(1));
  FileBlobStoreOptions options{dir_.string(), kSmallSegment};
  options.shared = true;
  ASSERT_TRUE(OpenFileBlobStore(options, root_, random_).ok());
  EXPECT_TRUE(fs::exists(fresh));
  EXPECT_FALSE(fs::exists(stale));
}

TEST_F(BlobTest, TwoStoresOnOneDirectorySeeEachOthersBlobs) {
  FileBlobStoreOptions options{dir_.string(), kSmallSegment};
  options.shared = true;
  auto a = OpenFileBlobStore(options, root_, random_);
  ASSERT_TRUE(a.ok());
  auto writer = (*a)->Create();
  ASSERT_TRUE(writer.ok());
  ASSERT_TRUE((*writer)->Write(Pattern(100, 6)).ok());
  // B opens while A's blob is still being written: it must not see it, nor
  // remove its partial.
  auto b = OpenFileBlobStore(options, root_, random_);
  ASSERT_TRUE(b.ok());
  EXPECT_THAT((*b)->List().value(), IsEmpty());
  auto info = (*writer)->Commit();
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  auto reader = (*b)->Open(info->id);
  ASSERT_TRUE(reader.ok()) << reader.status().ToString();
  EXPECT_EQ(ReadAll(**reader), Pattern(100, 6));
  ASSERT_TRUE((*b)->Remove(info->id).ok());
  EXPECT_EQ((*a)->Open(info->id).status().code(), ErrorCode::kNotFound);
}

TEST_F(BlobTest, SegmentSizeOutOfRangeIsRefused) {
  EXPECT_FALSE(OpenFileBlobStore({dir_.string(), 0}, root_, random_).ok());
  EXPECT_FALSE(OpenFileBlobStore({dir_.string(), kMaxSegmentBytes + 1}, root_, random_).ok());
}

TEST_F(BlobTest, BlobsOfAnotherSegmentSizeStillOpen) {
  BlobInfo info;
  {
    auto store = OpenStore(kSmallSegment);
    info = WriteBlob(*store, Pattern(100, 4));
  }
  auto store = OpenStore(64);
  auto reader = store->Open(info.id);
  ASSERT_TRUE(reader.ok());
  EXPECT_EQ(ReadAll(**reader), Pattern(100, 4));
}

// 64 MiB in 1 MiB pieces: the writer and reader hold one 64 KiB segment each;
// the test itself never holds more than one piece.
TEST_F(BlobTest, A64MiBBlobStreamsInAndOutInPieces) {
  constexpr std::size_t kPiece = 1 << 20;
  constexpr std::size_t kPieces = 64;
  auto store = OpenStore(FileBlobStoreOptions{}.segment_bytes);
  auto writer = store->Create();
  ASSERT_TRUE(writer.ok());
  for (std::size_t i = 0; i < kPieces; ++i) ASSERT_TRUE((*writer)->Write(Pattern(kPiece, i)).ok());
  auto info = (*writer)->Commit();
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->size, kPiece * kPieces);
  auto reader = store->Open(info->id);
  ASSERT_TRUE(reader.ok());
  std::string piece(kPiece, '\0');
  for (std::size_t i = 0; i < kPieces; ++i) {
    ASSERT_EQ((*reader)->ReadAt(i * kPiece, piece).value(), kPiece);
    ASSERT_EQ(piece, Pattern(kPiece, i)) << "piece " << i;
  }
}

// A file of one small segment is read whole at Open; a longer one has its
// segments read as a read needs them. Either way a flipped ciphertext byte
// fails exactly the segment it is in (blobs_tamper_test covers the small
// files; this one a file past the whole-file read).
TEST_F(BlobTest, FlippedByteInALargeFileFailsItsSegmentWhenRead) {
  constexpr std::size_t kSize = 96 * 1024;  // 6,144 segments of 16 bytes
  auto store = OpenStore(kSmallSegment);
  const BlobInfo info = WriteBlob(*store, Pattern(kSize, 3));
  std::string file = ReadFileBytes(BlobPath(info.id));
  const std::size_t header_len = HeaderLen(info.id, kSize);
  file[header_len + 100 * (kSmallSegment + kTagLen) + 5] ^= 0x01;  // segment 100
  WriteFileBytes(BlobPath(info.id), file);

  auto reader = store->Open(info.id);
  ASSERT_TRUE(reader.ok()) << reader.status().ToString();
  std::string out(kSmallSegment, '?');
  EXPECT_TRUE((*reader)->ReadAt(99 * kSmallSegment, out).ok());
  EXPECT_EQ(out, Pattern(kSize, 3).substr(99 * kSmallSegment, kSmallSegment));
  auto bad = (*reader)->ReadAt(100 * kSmallSegment, out);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), ErrorCode::kInternal);
  EXPECT_NE(bad.status().message().find("segment 100"), std::string::npos) << bad.status().message();
}

}  // namespace
}  // namespace coffer::blobs::testing

// UploadPartCopy, the sweep of incomplete multipart uploads and the start-up
// pass over orphan blobs, through S3Service over the memory store, an
// encrypted blob store in a temp directory and a fake clock.
#include "s3/maintenance.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <pugixml.hpp>
#include <set>

#include "common/bytes.h"
#include "common/secret_bytes.h"
#include "crypto/checksum.h"
#include "crypto/crypto.h"
#include "policy/identity_source.h"
#include "rootkey/root_key.h"
#include "s3/ops.h"
#include "s3/records.h"
#include "s3/s3_test_util.h"
#include "s3/xml.h"
#include "store/store.h"

namespace coffer::s3 {
namespace {

namespace fs = std::filesystem;
using testing::CodeOf;
using testing::Pattern;
using testing::XmlChild;

constexpr std::uint64_t kMiB = 1024 * 1024;
constexpr std::chrono::seconds kWeek{7 * 24 * 3600};

class AllowAll final : public policy::IdentityPolicySource {
 public:
  StatusOr<std::vector<policy::NamedPolicy>> PoliciesFor(const policy::CallerInfo&) override {
    if (!allow) return std::vector<policy::NamedPolicy>{};
    return std::vector<policy::NamedPolicy>{{"AdministratorAccess", policy::AdministratorAccess()}};
  }
  std::uint64_t Generation() const override { return 0; }
  bool allow = true;
};

std::string QuotedMd5(std::string_view data) {
  crypto::Md5 md5;
  md5.Update(data);
  return "\"" + md5.FinishHex() + "\"";
}

std::string HeaderOf(const S3Reply& reply, std::string_view name) {
  for (const auto& [k, v] : reply.headers) {
    if (k == name) return v;
  }
  return {};
}

class S3MaintenanceTest : public testing::S3Fixture<AllowAll> {
 protected:
  S3MaintenanceTest() {
    EXPECT_TRUE(CreateBucket(*s3_, Req("CreateBucket", "src")).ok());
    EXPECT_TRUE(CreateBucket(*s3_, Req("CreateBucket", "dst")).ok());
  }

  static S3Request Req(std::string op, std::string bucket, std::string key = "",
                       std::vector<auth::Header> headers = {}) {
    return testing::MakeRequest(std::move(op), std::move(bucket), std::move(key), std::move(headers));
  }

  void MustPut(const std::string& bucket, const std::string& key, std::string_view body) {
    auto sink = PutObject(*s3_, Req("PutObject", bucket, key));
    ASSERT_TRUE(sink.ok()) << sink.status().ToString();
    ASSERT_TRUE((*sink)->Write(body).ok());
    auto done = (*sink)->Finish("");
    ASSERT_TRUE(done.ok()) << done.status().ToString();
  }

  // A PUT a millisecond after the last; returns its x-amz-version-id.
  std::string PutVersion(const std::string& bucket, const std::string& key, std::string_view body) {
    clock_.Advance(std::chrono::milliseconds(1));
    auto sink = PutObject(*s3_, Req("PutObject", bucket, key));
    EXPECT_TRUE(sink.ok()) << sink.status().ToString();
    if (!sink.ok()) return "";
    EXPECT_TRUE((*sink)->Write(body).ok());
    auto done = (*sink)->Finish("");
    EXPECT_TRUE(done.ok()) << done.status().ToString();
    return done.ok() ? HeaderOf(*done, "x-amz-version-id") : "";
  }

  std::string Body(const std::string& bucket, const std::string& key) {
    auto r = GetObject(*s3_, Req("GetObject", bucket, key));
    if (!r.ok()) return "<" + CodeOf(r) + ">";
    std::string out;
    std::vector<char> buffer(100000);
    for (;;) {
      auto n = r->stream->Read(buffer);
      if (!n.ok()) return "<read failed>";
      if (*n == 0) return out;
      out.append(buffer.data(), *n);
    }
  }

  std::string StartUpload(const std::string& bucket, const std::string& key) {
    auto r = CreateMultipartUpload(*s3_, Req("CreateMultipartUpload", bucket, key));
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? XmlChild(r->body, "InitiateMultipartUploadResult", "UploadId") : "";
  }

  std::string MustPart(const std::string& bucket, const std::string& key, const std::string& upload_id,
                       int number, std::string_view body) {
    S3Request req = Req("UploadPart", bucket, key);
    req.query = {{"partNumber", std::to_string(number)}, {"uploadId", upload_id}};
    auto sink = UploadPart(*s3_, req);
    EXPECT_TRUE(sink.ok()) << sink.status().ToString();
    if (!sink.ok()) return "";
    EXPECT_TRUE((*sink)->Write(body).ok());
    auto done = (*sink)->Finish("");
    EXPECT_TRUE(done.ok()) << done.status().ToString();
    return done.ok() ? HeaderOf(*done, "ETag") : "";
  }

  // UploadPartCopy from src/<source_key> into dst/<key>.
  StatusOr<S3Reply> CopyPart(const std::string& key, const std::string& upload_id, int number,
                             const std::string& source_key, std::vector<auth::Header> headers = {}) {
    headers.emplace_back("x-amz-copy-source", "/src/" + source_key);
    S3Request req = Req("UploadPartCopy", "dst", key, std::move(headers));
    req.query = {{"partNumber", std::to_string(number)}, {"uploadId", upload_id}};
    return UploadPartCopy(*s3_, req);
  }

  StatusOr<S3Reply> Complete(const std::string& bucket, const std::string& key, const std::string& upload_id,
                             const std::vector<std::pair<int, std::string>>& parts) {
    S3Request req = Req("CompleteMultipartUpload", bucket, key);
    req.query = {{"uploadId", upload_id}};
    req.body = "<CompleteMultipartUpload>";
    for (const auto& [n, etag] : parts) {
      req.body += "<Part><PartNumber>" + std::to_string(n) + "</PartNumber><ETag>" + etag + "</ETag></Part>";
    }
    req.body += "</CompleteMultipartUpload>";
    return CompleteMultipartUpload(*s3_, req);
  }

  // ListParts' answer code: "" while the upload is open, "NoSuchUpload" after.
  std::string UploadState(const std::string& bucket, const std::string& key, const std::string& upload_id) {
    S3Request req = Req("ListParts", bucket, key);
    req.query = {{"uploadId", upload_id}};
    return CodeOf(ListParts(*s3_, req));
  }

  std::set<std::string> BlobIds() {
    auto ids = blobs_->List();
    EXPECT_TRUE(ids.ok()) << ids.status().ToString();
    return ids.ok() ? std::set<std::string>(ids->begin(), ids->end()) : std::set<std::string>{};
  }

  std::string CommitLooseBlob(std::string_view data) {
    auto writer = blobs_->Create();
    EXPECT_TRUE(writer.ok());
    EXPECT_TRUE((*writer)->Write(data).ok());
    auto info = (*writer)->Commit();
    EXPECT_TRUE(info.ok());
    return info.ok() ? info->id : "";
  }
};

// ---- UploadPartCopy ------------------------------------------------------------

TEST_F(S3MaintenanceTest, UploadPartCopyOfRangesThenComplete) {
  const std::string source = Pattern(12 * kMiB + 333, 1);
  MustPut("src", "big", source);
  const std::string id = StartUpload("dst", "joined");
  const std::uint64_t split = 6 * kMiB;
  auto first =
      CopyPart("joined", id, 1, "big", {{"x-amz-copy-source-range", "bytes=0-" + std::to_string(split - 1)}});
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  const std::string first_etag = XmlChild(first->body, "CopyPartResult", "ETag");
  EXPECT_EQ(first_etag, QuotedMd5(std::string_view(source).substr(0, split)));
  EXPECT_EQ(XmlChild(first->body, "CopyPartResult", "LastModified"), IsoMillis(kStartMs));
  EXPECT_EQ(HeaderOf(*first, "x-amz-server-side-encryption"), "AES256");
  auto second = CopyPart("joined", id, 2, "big",
                         {{"x-amz-copy-source-range",
                           "bytes=" + std::to_string(split) + "-" + std::to_string(source.size() - 1)}});
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  const std::string tail = "and a tail uploaded the usual way";
  const std::string third_etag = MustPart("dst", "joined", id, 3, tail);
  auto done =
      Complete("dst", "joined", id,
               {{1, first_etag}, {2, XmlChild(second->body, "CopyPartResult", "ETag")}, {3, third_etag}});
  ASSERT_TRUE(done.ok()) << done.status().ToString();
  EXPECT_EQ(Body("dst", "joined"), source + tail);
}

TEST_F(S3MaintenanceTest, UploadPartCopyWithoutRangeCopiesTheWholeSource) {
  MustPut("src", "small", "hello, part");
  const std::string id = StartUpload("dst", "whole");
  auto part = CopyPart("whole", id, 1, "small");
  ASSERT_TRUE(part.ok()) << part.status().ToString();
  const std::string etag = XmlChild(part->body, "CopyPartResult", "ETag");
  EXPECT_EQ(etag, QuotedMd5("hello, part"));
  ASSERT_TRUE(Complete("dst", "whole", id, {{1, etag}}).ok());
  EXPECT_EQ(Body("dst", "whole"), "hello, part");
}

TEST_F(S3MaintenanceTest, UploadPartCopyOfASingleByte) {
  MustPut("src", "abc", "abc");
  const std::string id = StartUpload("dst", "b");
  auto part = CopyPart("b", id, 1, "abc", {{"x-amz-copy-source-range", "bytes=1-1"}});
  ASSERT_TRUE(part.ok()) << part.status().ToString();
  ASSERT_TRUE(Complete("dst", "b", id, {{1, XmlChild(part->body, "CopyPartResult", "ETag")}}).ok());
  EXPECT_EQ(Body("dst", "b"), "b");
}

TEST_F(S3MaintenanceTest, UploadPartCopyRangeMustBeFirstLastInsideTheSource) {
  MustPut("src", "ten", "0123456789");
  const std::string id = StartUpload("dst", "k");
  const std::size_t blobs_before = BlobIds().size();
  for (const char* outside : {"bytes=0-10", "bytes=10-10", "bytes=5-4"}) {
    auto r = CopyPart("k", id, 1, "ten", {{"x-amz-copy-source-range", outside}});
    EXPECT_EQ(CodeOf(r), "InvalidArgument") << outside;
    EXPECT_EQ(r.status().message(), "Range specified is not valid for source object of size: 10") << outside;
  }
  for (const char* malformed : {"bytes=0-", "bytes=-3", "bytes=1-2,4-5", "bytes=a-3", "items=0-3", "0-3",
                                "bytes= 0-3", "bytes=0-99999999999999999999"}) {
    auto r = CopyPart("k", id, 1, "ten", {{"x-amz-copy-source-range", malformed}});
    EXPECT_EQ(CodeOf(r), "InvalidArgument") << malformed;
    EXPECT_NE(r.status().message().find("bytes=first-last"), std::string::npos) << malformed;
  }
  EXPECT_EQ(BlobIds().size(), blobs_before);
}

TEST_F(S3MaintenanceTest, UploadPartCopyOfAnEmptySourceTakesNoRange) {
  MustPut("src", "empty", "");
  const std::string id = StartUpload("dst", "k");
  auto ranged = CopyPart("k", id, 1, "empty", {{"x-amz-copy-source-range", "bytes=0-0"}});
  EXPECT_EQ(ranged.status().message(), "Range specified is not valid for source object of size: 0");
  auto whole = CopyPart("k", id, 1, "empty");
  ASSERT_TRUE(whole.ok()) << whole.status().ToString();
  EXPECT_EQ(XmlChild(whole->body, "CopyPartResult", "ETag"), QuotedMd5(""));
}

TEST_F(S3MaintenanceTest, UploadPartCopyConditionsOnTheSource) {
  MustPut("src", "obj", "conditional bytes");
  const std::string etag = QuotedMd5("conditional bytes");
  const std::string id = StartUpload("dst", "k");
  EXPECT_EQ(CodeOf(CopyPart("k", id, 1, "obj", {{"x-amz-copy-source-if-match", "\"0000\""}})),
            "PreconditionFailed");
  EXPECT_EQ(S3ErrorFor(CopyPart("k", id, 1, "obj", {{"x-amz-copy-source-if-none-match", etag}}).status())
                .http_status,
            412);
  EXPECT_EQ(CodeOf(CopyPart("k", id, 1, "obj",
                            {{"x-amz-copy-source-if-unmodified-since", HttpDate(kStartMs - 3600 * 1000)}})),
            "PreconditionFailed");
  EXPECT_EQ(CodeOf(CopyPart("k", id, 1, "obj",
                            {{"x-amz-copy-source-if-modified-since", HttpDate(kStartMs + 3600 * 1000)}})),
            "PreconditionFailed");
  auto ok = CopyPart("k", id, 1, "obj",
                     {{"x-amz-copy-source-if-match", etag},
                      {"x-amz-copy-source-if-modified-since", HttpDate(kStartMs - 3600 * 1000)}});
  EXPECT_TRUE(ok.ok()) << ok.status().ToString();
}

TEST_F(S3MaintenanceTest, UploadPartCopyReplacesAnEarlierPartAndItsBlob) {
  MustPut("src", "one", "first version of the part");
  MustPut("src", "two", "second");
  const std::string id = StartUpload("dst", "k");
  MustPart("dst", "k", id, 1, "uploaded body");
  const std::size_t blobs_with_one_part = BlobIds().size();
  ASSERT_TRUE(CopyPart("k", id, 1, "one").ok());
  ASSERT_TRUE(CopyPart("k", id, 1, "two").ok());
  EXPECT_EQ(BlobIds().size(), blobs_with_one_part);
  ASSERT_TRUE(Complete("dst", "k", id, {{1, QuotedMd5("second")}}).ok());
  EXPECT_EQ(Body("dst", "k"), "second");
}

TEST_F(S3MaintenanceTest, UploadPartCopyRefusals) {
  MustPut("src", "obj", "x");
  const std::string id = StartUpload("dst", "k");
  EXPECT_EQ(CodeOf(CopyPart("k", id, 1, "missing")), "NoSuchKey");
  EXPECT_EQ(CodeOf(CopyPart("k", "no-such-upload", 1, "obj")), "NoSuchUpload");
  EXPECT_EQ(CodeOf(CopyPart("other-key", id, 1, "obj")), "NoSuchUpload");
  EXPECT_EQ(CodeOf(CopyPart("k", id, 0, "obj")), "InvalidArgument");
  EXPECT_EQ(CodeOf(CopyPart("k", id, 10001, "obj")), "InvalidArgument");
  S3Request bad_source = Req("UploadPartCopy", "dst", "k", {{"x-amz-copy-source", "no-slash"}});
  bad_source.query = {{"partNumber", "1"}, {"uploadId", id}};
  EXPECT_EQ(CodeOf(UploadPartCopy(*s3_, bad_source)), "InvalidArgument");
  identities_.allow = false;
  EXPECT_EQ(CodeOf(CopyPart("k", id, 1, "obj")), "AccessDenied");
}

TEST_F(S3MaintenanceTest, UploadPartCopyOfAVersion) {
  S3Request versioning = Req("PutBucketVersioning", "src");
  versioning.body = "<VersioningConfiguration><Status>Enabled</Status></VersioningConfiguration>";
  ASSERT_TRUE(PutBucketVersioning(*s3_, versioning).ok());
  const std::string v1 = PutVersion("src", "k", "the first version");
  PutVersion("src", "k", "the second version");
  const std::string id = StartUpload("dst", "k");
  auto old = CopyPart("k", id, 1, "k?versionId=" + v1);
  ASSERT_TRUE(old.ok()) << old.status().ToString();
  EXPECT_EQ(HeaderOf(*old, "x-amz-copy-source-version-id"), v1);
  EXPECT_EQ(XmlChild(old->body, "CopyPartResult", "ETag"), QuotedMd5("the first version"));
  std::string unknown = v1;
  unknown.back() = unknown.back() == '0' ? '1' : '0';
  EXPECT_EQ(CodeOf(CopyPart("k", id, 1, "k?versionId=" + unknown)), "NoSuchVersion");

  clock_.Advance(std::chrono::milliseconds(1));
  auto marker = DeleteObject(*s3_, Req("DeleteObject", "src", "k"));
  ASSERT_TRUE(marker.ok()) << marker.status().ToString();
  EXPECT_EQ(CodeOf(CopyPart("k", id, 2, "k")), "NoSuchKey");
  EXPECT_EQ(CodeOf(CopyPart("k", id, 2, "k?versionId=" + HeaderOf(*marker, "x-amz-version-id"))),
            "InvalidRequest");
  ASSERT_TRUE(Complete("dst", "k", id, {{1, QuotedMd5("the first version")}}).ok());
  EXPECT_EQ(Body("dst", "k"), "the first version");
}

TEST_F(S3MaintenanceTest, UploadPartCopyIsInTheOperationTable) {
  const Operation* op = FindOperation("UploadPartCopy");
  ASSERT_NE(op, nullptr);
  EXPECT_TRUE(op->handler);
  EXPECT_FALSE(op->upload);
}

// ---- Incomplete multipart uploads --------------------------------------------------

TEST_F(S3MaintenanceTest, StaleUploadsAreAbortedAndFreshOnesKept) {
  const std::string old_id = StartUpload("dst", "old");
  MustPart("dst", "old", old_id, 1, "old part one");
  MustPart("dst", "old", old_id, 2, "old part two");
  const std::set<std::string> old_blobs = BlobIds();
  clock_.Advance(std::chrono::hours(24 * 6));
  const std::string fresh_id = StartUpload("dst", "fresh");
  MustPart("dst", "fresh", fresh_id, 1, "fresh part");

  // Six days on, nothing is old enough.
  auto none = AbortStaleUploads(*s3_, kWeek);
  ASSERT_TRUE(none.ok()) << none.status().ToString();
  EXPECT_EQ(*none, 0);

  clock_.Advance(std::chrono::hours(24) + std::chrono::seconds(1));  // the old one: a week and a second
  auto swept = AbortStaleUploads(*s3_, kWeek);
  ASSERT_TRUE(swept.ok()) << swept.status().ToString();
  EXPECT_EQ(*swept, 1);
  EXPECT_EQ(UploadState("dst", "old", old_id), "NoSuchUpload");
  EXPECT_EQ(UploadState("dst", "fresh", fresh_id), "");
  const std::set<std::string> left = BlobIds();
  for (const auto& blob : old_blobs) EXPECT_FALSE(left.contains(blob)) << blob;
  EXPECT_EQ(left.size(), 1u);  // the fresh upload's part

  auto again = AbortStaleUploads(*s3_, kWeek);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, 0);
  EXPECT_TRUE(Complete("dst", "fresh", fresh_id, {{1, QuotedMd5("fresh part")}}).ok());
}

TEST_F(S3MaintenanceTest, AnUploadExactlyMaxAgeOldIsKept) {
  const std::string id = StartUpload("dst", "edge");
  clock_.Advance(kWeek);
  auto swept = AbortStaleUploads(*s3_, kWeek);
  ASSERT_TRUE(swept.ok());
  EXPECT_EQ(*swept, 0);
  clock_.Advance(std::chrono::milliseconds(1));
  swept = AbortStaleUploads(*s3_, kWeek);
  ASSERT_TRUE(swept.ok());
  EXPECT_EQ(*swept, 1);
  EXPECT_EQ(UploadState("dst", "edge", id), "NoSuchUpload");
}

TEST_F(S3MaintenanceTest, SweepReadsUploadsInPages) {
  // More uploads than one Scan page, across two buckets.
  for (int i = 0; i < 1201; ++i) {
    UploadRecord upload;
    upload.upload_id = "u" + std::to_string(i);
    upload.bucket = i % 2 ? "src" : "dst";
    upload.key = "k";
    upload.initiated_ms = kStartMs;
    auto txn = store_->BeginWrite();
    ASSERT_TRUE(txn.ok());
    ASSERT_TRUE(
        (*txn)->Put(kUploadsTable, UploadRowKey(upload.bucket, upload.upload_id), EncodeUpload(upload)).ok());
    ASSERT_TRUE((*txn)->Commit().ok());
  }
  clock_.Advance(kWeek + std::chrono::seconds(1));
  auto swept = AbortStaleUploads(*s3_, kWeek);
  ASSERT_TRUE(swept.ok()) << swept.status().ToString();
  EXPECT_EQ(*swept, 1201);
}

// ---- Orphan blobs ----------------------------------------------------------------

TEST_F(S3MaintenanceTest, OrphanBlobsAreRemovedAndReferencedOnesKept) {
  MustPut("src", "single", "a single-part object");
  const std::string big = Pattern(5 * kMiB + 1, 2);
  const std::string done_id = StartUpload("dst", "multi");
  const std::string e1 = MustPart("dst", "multi", done_id, 1, big);
  const std::string e2 = MustPart("dst", "multi", done_id, 2, "end");
  ASSERT_TRUE(Complete("dst", "multi", done_id, {{1, e1}, {2, e2}}).ok());
  const std::string open_id = StartUpload("dst", "open");
  const std::string open_etag = MustPart("dst", "open", open_id, 1, "open part");
  const std::set<std::string> referenced = BlobIds();
  ASSERT_EQ(referenced.size(), 4u);

  // What a crash between a blob's commit and its record leaves behind.
  const std::string orphan1 = CommitLooseBlob("never recorded");
  const std::string orphan2 = CommitLooseBlob("");
  auto removed = RemoveOrphanBlobs(*s3_);
  ASSERT_TRUE(removed.ok()) << removed.status().ToString();
  EXPECT_EQ(*removed, 2);
  EXPECT_EQ(BlobIds(), referenced);
  EXPECT_EQ(blobs_->Open(orphan1).status().code(), ErrorCode::kNotFound);

  EXPECT_EQ(Body("src", "single"), "a single-part object");
  EXPECT_EQ(Body("dst", "multi"), big + "end");
  ASSERT_TRUE(Complete("dst", "open", open_id, {{1, open_etag}}).ok());
  EXPECT_EQ(Body("dst", "open"), "open part");

  auto again = RemoveOrphanBlobs(*s3_);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, 0);
}

TEST_F(S3MaintenanceTest, OrphanPassReadsRecordsInPages) {
  // The only reference to a blob sits past the first Scan page of s3_objects.
  const std::string kept = CommitLooseBlob("named by the last record");
  const std::string orphan = CommitLooseBlob("named by none");
  auto txn = store_->BeginWrite();
  ASSERT_TRUE(txn.ok());
  for (int i = 0; i < 1500; ++i) {
    ObjectRecord object;
    object.bucket = "src";
    object.key = "k" + std::to_string(10000 + i);
    if (i == 1499) object.parts = {BlobRef{kept, 24}};
    ASSERT_TRUE(
        (*txn)->Put(kObjectsTable, ObjectRowKey(object.bucket, object.key), EncodeObject(object)).ok());
  }
  ASSERT_TRUE((*txn)->Commit().ok());
  auto removed = RemoveOrphanBlobs(*s3_);
  ASSERT_TRUE(removed.ok()) << removed.status().ToString();
  EXPECT_EQ(*removed, 1);
  EXPECT_EQ(BlobIds(), std::set<std::string>{kept});
}

TEST_F(S3MaintenanceTest, OrphanPassKeepsBlobsOfNoncurrentVersions) {
  S3Request versioning = Req("PutBucketVersioning", "src");
  versioning.body = "<VersioningConfiguration><Status>Enabled</Status></VersioningConfiguration>";
  ASSERT_TRUE(PutBucketVersioning(*s3_, versioning).ok());
  const std::string v1 = PutVersion("src", "k", "an older version");
  PutVersion("src", "k", "the current version");
  const std::set<std::string> both = BlobIds();
  ASSERT_EQ(both.size(), 2u);
  CommitLooseBlob("orphan");
  auto removed = RemoveOrphanBlobs(*s3_);
  ASSERT_TRUE(removed.ok()) << removed.status().ToString();
  EXPECT_EQ(*removed, 1);
  EXPECT_EQ(BlobIds(), both);
  S3Request get = Req("GetObject", "src", "k");
  get.query = {{"versionId", v1}};
  EXPECT_TRUE(GetObject(*s3_, get).ok());
}

TEST_F(S3MaintenanceTest, OrphanPassStopsOnAnUnreadableRecord) {
  // A record it cannot read might name any blob: remove nothing.
  const std::string blob = CommitLooseBlob("maybe referenced");
  auto txn = store_->BeginWrite();
  ASSERT_TRUE(txn.ok());
  ASSERT_TRUE((*txn)->Put(kPartsTable, "dst/u/00001", "not json").ok());
  ASSERT_TRUE((*txn)->Commit().ok());
  EXPECT_FALSE(RemoveOrphanBlobs(*s3_).ok());
  EXPECT_EQ(BlobIds(), std::set<std::string>{blob});
}

}  // namespace
}  // namespace coffer::s3

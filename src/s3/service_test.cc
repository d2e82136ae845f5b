// The S3 operations through S3Service, over the memory store, an encrypted
// blob store in a temp directory, a fake clock and a fake identity source.
#include "s3/service.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <map>
#include <pugixml.hpp>
#include <set>

#include "common/bytes.h"
#include "common/encoding.h"
#include "common/secret_bytes.h"
#include "crypto/checksum.h"
#include "crypto/crypto.h"
#include "policy/identity_source.h"
#include "policy/policy.h"
#include "rootkey/root_key.h"
#include "s3/body_writer.h"
#include "s3/ops.h"
#include "s3/s3_test_util.h"
#include "s3/xml.h"
#include "store/store.h"

namespace coffer::s3 {
namespace {

namespace fs = std::filesystem;
using testing::CodeOf;
using testing::kAccount;
using testing::kOtherAccount;
using testing::Md5Hex;
using testing::Pattern;
using testing::XmlChild;

constexpr std::uint64_t kMiB = 1024 * 1024;

// Allows everything (AdministratorAccess) or, when told, nothing at all.
class FakeIdentities final : public policy::IdentityPolicySource {
 public:
  StatusOr<std::vector<policy::NamedPolicy>> PoliciesFor(const policy::CallerInfo&) override {
    if (custom) return std::vector<policy::NamedPolicy>{{"custom", custom}};
    if (!allow) return std::vector<policy::NamedPolicy>{};
    return std::vector<policy::NamedPolicy>{{"AdministratorAccess", policy::AdministratorAccess()}};
  }
  std::uint64_t Generation() const override { return 0; }
  bool allow = true;
  std::shared_ptr<const policy::Policy> custom;  // set: the caller's only identity policy
};

std::string Md5Base64(std::string_view data) {
  crypto::Md5 md5;
  md5.Update(data);
  return md5.FinishBase64();
}

std::string HeaderOf(const S3Reply& reply, std::string_view name) {
  for (const auto& [k, v] : reply.headers) {
    if (k.size() == name.size() && std::equal(k.begin(), k.end(), name.begin(), [](char a, char b) {
          return std::tolower(a) == std::tolower(b);
        }))
      return v;
  }
  return {};
}

// One page of a listing, read from its XML.
struct Listing {
  std::vector<std::string> keys;
  std::vector<std::string> prefixes;
  bool truncated = false;
  std::string next_token;
  std::string key_count;
};

Listing ParseListing(const std::string& body) {
  Listing out;
  auto doc = XmlDoc::Parse(body);
  EXPECT_TRUE(doc.ok()) << body;
  if (!doc.ok()) return out;
  auto root = doc->Root("ListBucketResult");
  EXPECT_TRUE(root.ok()) << body;
  if (!root.ok()) return out;
  for (const auto& c : Children(*root, "Contents")) out.keys.push_back(ChildText(c, "Key"));
  for (const auto& p : Children(*root, "CommonPrefixes")) out.prefixes.push_back(ChildText(p, "Prefix"));
  out.truncated = ChildText(*root, "IsTruncated") == "true";
  out.next_token = ChildText(*root, "NextContinuationToken");
  out.key_count = ChildText(*root, "KeyCount");
  return out;
}

class S3ServiceTest : public testing::S3Fixture<FakeIdentities> {
 protected:
  static S3Request Req(std::string op, std::string bucket, std::string key = "",
                       std::vector<auth::Header> headers = {}) {
    return testing::MakeRequest(std::move(op), std::move(bucket), std::move(key), std::move(headers));
  }

  void MakeBucket(const std::string& name) {
    auto r = CreateBucket(*s3_, Req("CreateBucket", name));
    ASSERT_TRUE(r.ok()) << r.status().ToString();
  }

  // PutObject with the body written in pieces of `piece` bytes.
  StatusOr<S3Reply> Put(const std::string& bucket, const std::string& key, std::string_view body,
                        std::vector<auth::Header> headers = {}, std::size_t piece = 7000) {
    ASSIGN_OR_RETURN(auto sink, PutObject(*s3_, Req("PutObject", bucket, key, std::move(headers))));
    while (!body.empty()) {
      const std::size_t n = std::min(piece, body.size());
      RETURN_IF_ERROR(sink->Write(body.substr(0, n)));
      body.remove_prefix(n);
    }
    return sink->Finish("");
  }

  void MustPut(const std::string& bucket, const std::string& key, std::string_view body,
               std::vector<auth::Header> headers = {}) {
    auto r = Put(bucket, key, body, std::move(headers));
    ASSERT_TRUE(r.ok()) << key << ": " << r.status().ToString();
  }

  static std::string ReadAll(const S3Reply& reply) {
    std::string out;
    if (!reply.stream) return out;
    std::vector<char> buffer(10000);
    for (;;) {
      auto n = reply.stream->Read(buffer);
      EXPECT_TRUE(n.ok()) << n.status().ToString();
      if (!n.ok() || *n == 0) break;
      out.append(buffer.data(), *n);
    }
    return out;
  }

  StatusOr<S3Reply> Get(const std::string& bucket, const std::string& key,
                        std::vector<auth::Header> headers = {}) {
    return GetObject(*s3_, Req("GetObject", bucket, key, std::move(headers)));
  }

  // The whole body of the object, or "<error code>".
  std::string Body(const std::string& bucket, const std::string& key) {
    auto r = Get(bucket, key);
    if (!r.ok()) return "<" + CodeOf(r) + ">";
    return ReadAll(*r);
  }

  std::size_t BlobCount() {
    auto ids = blobs_->List();
    EXPECT_TRUE(ids.ok()) << ids.status().ToString();
    return ids.ok() ? ids->size() : 0;
  }

  StatusOr<Listing> List(const std::string& bucket, std::map<std::string, std::string> query) {
    S3Request req = Req("ListObjectsV2", bucket);
    query["list-type"] = "2";
    req.query = std::move(query);
    ASSIGN_OR_RETURN(S3Reply reply, ListObjectsV2(*s3_, req));
    return ParseListing(reply.body);
  }

  // Every page of a listing: the entries (keys and common prefixes) in order.
  std::vector<std::string> ListAll(const std::string& bucket, std::map<std::string, std::string> query,
                                   int* out_pages) {
    std::vector<std::string> all;
    *out_pages = 0;
    for (;;) {
      auto page = List(bucket, query);
      EXPECT_TRUE(page.ok()) << page.status().ToString();
      if (!page.ok() || ++*out_pages > 100) break;
      all.insert(all.end(), page->keys.begin(), page->keys.end());
      all.insert(all.end(), page->prefixes.begin(), page->prefixes.end());
      if (!page->truncated) break;
      EXPECT_FALSE(page->next_token.empty());
      query["continuation-token"] = page->next_token;
    }
    return all;
  }

  // Multipart helpers.
  std::string StartUpload(const std::string& bucket, const std::string& key,
                          std::vector<auth::Header> headers = {}) {
    auto r = CreateMultipartUpload(*s3_, Req("CreateMultipartUpload", bucket, key, std::move(headers)));
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? XmlChild(r->body, "InitiateMultipartUploadResult", "UploadId") : "";
  }

  StatusOr<S3Reply> Part(const std::string& bucket, const std::string& key, const std::string& upload_id,
                         int number, std::string_view body) {
    S3Request req = Req("UploadPart", bucket, key);
    req.query = {{"partNumber", std::to_string(number)}, {"uploadId", upload_id}};
    ASSIGN_OR_RETURN(auto sink, UploadPart(*s3_, req));
    while (!body.empty()) {
      const std::size_t n = std::min<std::size_t>(64 * 1024 + 3, body.size());
      RETURN_IF_ERROR(sink->Write(body.substr(0, n)));
      body.remove_prefix(n);
    }
    return sink->Finish("");
  }

  std::string MustPart(const std::string& bucket, const std::string& key, const std::string& upload_id,
                       int number, std::string_view body) {
    auto r = Part(bucket, key, upload_id, number, body);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? HeaderOf(*r, "ETag") : "";
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

  S3Request UploadReq(std::string op, const std::string& bucket, const std::string& key,
                      const std::string& upload_id) {
    S3Request req = Req(std::move(op), bucket, key);
    req.query = {{"uploadId", upload_id}};
    return req;
  }
};

// ---- Buckets ----------------------------------------------------------------

TEST_F(S3ServiceTest, CreateBucketInUsEast1) {
  auto r = CreateBucket(*s3_, Req("CreateBucket", "photos"));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(HeaderOf(*r, "Location"), "/photos");
  auto head = HeadBucket(*s3_, Req("HeadBucket", "photos"));
  ASSERT_TRUE(head.ok()) << head.status().ToString();
  EXPECT_EQ(HeaderOf(*head, "x-amz-bucket-region"), "us-east-1");
  // The owner creating it again in us-east-1 gets 200, as AWS keeps for old clients.
  auto again = CreateBucket(*s3_, Req("CreateBucket", "photos"));
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(again->status, 200);
}

TEST_F(S3ServiceTest, CreateBucketInAnotherRegion) {
  S3Request req = Req("CreateBucket", "eu-photos");
  req.region = "eu-west-1";
  req.body =
      "<CreateBucketConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
      "<LocationConstraint>eu-west-1</LocationConstraint></CreateBucketConfiguration>";
  ASSERT_TRUE(CreateBucket(*s3_, req).ok());
  auto again = CreateBucket(*s3_, req);
  EXPECT_EQ(CodeOf(again), "BucketAlreadyOwnedByYou");
  EXPECT_EQ(S3ErrorFor(again.status()).http_status, 409);
  auto location = GetBucketLocation(*s3_, Req("GetBucketLocation", "eu-photos"));
  ASSERT_TRUE(location.ok());
  EXPECT_NE(location->body.find(">eu-west-1</LocationConstraint>"), std::string::npos) << location->body;
}

TEST_F(S3ServiceTest, BucketNamesAreShared) {
  MakeBucket("shared");
  auto other = CreateBucket(*s3_, testing::MakeRequest("CreateBucket", "shared", "", {}, kOtherAccount));
  EXPECT_EQ(CodeOf(other), "BucketAlreadyExists");
}

TEST_F(S3ServiceTest, LocationConstraintMustMatchTheEndpoint) {
  S3Request no_constraint = Req("CreateBucket", "bkt1");
  no_constraint.region = "eu-west-1";
  EXPECT_EQ(CodeOf(CreateBucket(*s3_, no_constraint)), "IllegalLocationConstraintException");
  S3Request other = Req("CreateBucket", "bkt2");
  other.body =
      "<CreateBucketConfiguration><LocationConstraint>eu-west-1</LocationConstraint>"
      "</CreateBucketConfiguration>";
  EXPECT_EQ(CodeOf(CreateBucket(*s3_, other)), "IllegalLocationConstraintException");
  S3Request explicit_us = Req("CreateBucket", "bkt3");
  explicit_us.body =
      "<CreateBucketConfiguration><LocationConstraint>us-east-1</LocationConstraint>"
      "</CreateBucketConfiguration>";
  EXPECT_EQ(CodeOf(CreateBucket(*s3_, explicit_us)), "InvalidLocationConstraint");
  S3Request malformed = Req("CreateBucket", "bkt4");
  malformed.body = "<CreateBucketConfiguration>";
  EXPECT_EQ(CodeOf(CreateBucket(*s3_, malformed)), "MalformedXML");
  EXPECT_EQ(CodeOf(CreateBucket(*s3_, Req("CreateBucket", "Bad_Name"))), "InvalidBucketName");
  EXPECT_EQ(CodeOf(HeadBucket(*s3_, Req("HeadBucket", "bkt1"))), "NoSuchBucket");
}

TEST_F(S3ServiceTest, ListBucketsShowsOnlyTheCallersBuckets) {
  MakeBucket("mine-a");
  MakeBucket("mine-b");
  ASSERT_TRUE(CreateBucket(*s3_, testing::MakeRequest("CreateBucket", "theirs", "", {}, kOtherAccount)).ok());
  auto r = ListBuckets(*s3_, Req("ListBuckets", ""));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_NE(r->body.find("<Name>mine-a</Name>"), std::string::npos);
  EXPECT_NE(r->body.find("<Name>mine-b</Name>"), std::string::npos);
  EXPECT_EQ(r->body.find("theirs"), std::string::npos);
}

TEST_F(S3ServiceTest, DeleteBucketMustBeEmpty) {
  MakeBucket("bkt");
  MustPut("bkt", "k", "data");
  auto refused = DeleteBucket(*s3_, Req("DeleteBucket", "bkt"));
  EXPECT_EQ(CodeOf(refused), "BucketNotEmpty");
  EXPECT_EQ(S3ErrorFor(refused.status()).http_status, 409);
  auto del = DeleteObject(*s3_, Req("DeleteObject", "bkt", "k"));
  ASSERT_TRUE(del.ok());
  EXPECT_EQ(del->status, 204);
  auto done = DeleteBucket(*s3_, Req("DeleteBucket", "bkt"));
  ASSERT_TRUE(done.ok()) << done.status().ToString();
  EXPECT_EQ(done->status, 204);
  EXPECT_EQ(CodeOf(HeadBucket(*s3_, Req("HeadBucket", "bkt"))), "NoSuchBucket");
  EXPECT_EQ(CodeOf(DeleteBucket(*s3_, Req("DeleteBucket", "bkt"))), "NoSuchBucket");
}

TEST_F(S3ServiceTest, BucketTagging) {
  MakeBucket("bkt");
  EXPECT_EQ(CodeOf(GetBucketTagging(*s3_, Req("GetBucketTagging", "bkt"))), "NoSuchTagSet");
  S3Request put = Req("PutBucketTagging", "bkt");
  put.body = "<Tagging><TagSet><Tag><Key>env</Key><Value>prod</Value></Tag></TagSet></Tagging>";
  auto done = PutBucketTagging(*s3_, put);
  ASSERT_TRUE(done.ok()) << done.status().ToString();
  auto got = GetBucketTagging(*s3_, Req("GetBucketTagging", "bkt"));
  ASSERT_TRUE(got.ok());
  EXPECT_NE(got->body.find("<Key>env</Key><Value>prod</Value>"), std::string::npos) << got->body;
  ASSERT_TRUE(DeleteBucketTagging(*s3_, Req("DeleteBucketTagging", "bkt")).ok());
  EXPECT_EQ(CodeOf(GetBucketTagging(*s3_, Req("GetBucketTagging", "bkt"))), "NoSuchTagSet");
}

// ---- Objects: put and get -----------------------------------------------------

TEST_F(S3ServiceTest, PutGetRoundTrip) {
  MakeBucket("bkt");
  const std::string body = Pattern(200 * 1024 + 17, 1);
  auto put = Put("bkt", "dir/file.bin", body,
                 {{"Content-Type", "application/x-test"}, {"x-amz-meta-Color", "blue"}});
  ASSERT_TRUE(put.ok()) << put.status().ToString();
  EXPECT_EQ(HeaderOf(*put, "ETag"), "\"" + Md5Hex(body) + "\"");

  auto get = Get("bkt", "dir/file.bin");
  ASSERT_TRUE(get.ok()) << get.status().ToString();
  EXPECT_EQ(get->status, 200);
  ASSERT_TRUE(get->content_length.has_value());
  EXPECT_EQ(*get->content_length, body.size());
  EXPECT_EQ(HeaderOf(*get, "ETag"), "\"" + Md5Hex(body) + "\"");
  EXPECT_EQ(HeaderOf(*get, "Content-Type"), "application/x-test");
  EXPECT_EQ(HeaderOf(*get, "x-amz-meta-color"), "blue");
  EXPECT_EQ(HeaderOf(*get, "Last-Modified"), HttpDate(kStartMs));
  EXPECT_TRUE(ReadAll(*get) == body);

  auto head = HeadObject(*s3_, Req("HeadObject", "bkt", "dir/file.bin"));
  ASSERT_TRUE(head.ok());
  EXPECT_EQ(head->stream, nullptr);
  EXPECT_EQ(head->content_length, body.size());
}

TEST_F(S3ServiceTest, EmptyObject) {
  MakeBucket("bkt");
  MustPut("bkt", "empty", "");
  auto get = Get("bkt", "empty");
  ASSERT_TRUE(get.ok()) << get.status().ToString();
  EXPECT_EQ(get->content_length, 0u);
  EXPECT_EQ(ReadAll(*get), "");
  EXPECT_EQ(HeaderOf(*get, "ETag"), "\"d41d8cd98f00b204e9800998ecf8427e\"");
}

TEST_F(S3ServiceTest, MissingObjectOrBucket) {
  MakeBucket("bkt");
  EXPECT_EQ(CodeOf(Get("bkt", "nope")), "NoSuchKey");
  EXPECT_EQ(CodeOf(Get("nobucket", "k")), "NoSuchBucket");
  EXPECT_EQ(CodeOf(Put("nobucket", "k", "x")), "NoSuchBucket");
}

TEST_F(S3ServiceTest, RangeReads) {
  MakeBucket("bkt");
  const std::string body = Pattern(100000, 2);
  MustPut("bkt", "k", body);
  auto mid = Get("bkt", "k", {{"Range", "bytes=70000-70009"}});
  ASSERT_TRUE(mid.ok()) << mid.status().ToString();
  EXPECT_EQ(mid->status, 206);
  EXPECT_EQ(HeaderOf(*mid, "Content-Range"), "bytes 70000-70009/100000");
  EXPECT_EQ(mid->content_length, 10u);
  EXPECT_TRUE(ReadAll(*mid) == body.substr(70000, 10));

  auto suffix = Get("bkt", "k", {{"Range", "bytes=-5"}});
  ASSERT_TRUE(suffix.ok());
  EXPECT_EQ(HeaderOf(*suffix, "Content-Range"), "bytes 99995-99999/100000");
  EXPECT_TRUE(ReadAll(*suffix) == body.substr(99995));

  auto unsatisfiable = Get("bkt", "k", {{"Range", "bytes=100000-"}});
  EXPECT_EQ(CodeOf(unsatisfiable), "InvalidRange");
  EXPECT_EQ(S3ErrorFor(unsatisfiable.status()).http_status, 416);

  auto ignored = Get("bkt", "k", {{"Range", "bytes=0-1,5-6"}});
  ASSERT_TRUE(ignored.ok());
  EXPECT_EQ(ignored->status, 200);
  EXPECT_EQ(ReadAll(*ignored).size(), body.size());
}

TEST_F(S3ServiceTest, ConditionalReads) {
  MakeBucket("bkt");
  MustPut("bkt", "k", "hello");
  const std::string etag = "\"" + Md5Hex("hello") + "\"";
  auto not_modified = Get("bkt", "k", {{"If-None-Match", etag}});
  ASSERT_TRUE(not_modified.ok()) << not_modified.status().ToString();
  EXPECT_EQ(not_modified->status, 304);
  EXPECT_EQ(not_modified->stream, nullptr);
  EXPECT_EQ(HeaderOf(*not_modified, "ETag"), etag);

  auto since = Get("bkt", "k", {{"If-Modified-Since", HttpDate(kStartMs + 1000)}});
  ASSERT_TRUE(since.ok());
  EXPECT_EQ(since->status, 304);

  auto served = Get("bkt", "k", {{"If-Modified-Since", HttpDate(kStartMs - 3600 * 1000)}});
  ASSERT_TRUE(served.ok());
  EXPECT_EQ(served->status, 200);
  EXPECT_EQ(ReadAll(*served), "hello");

  auto failed = Get("bkt", "k", {{"If-Match", "\"0000\""}});
  EXPECT_EQ(CodeOf(failed), "PreconditionFailed");
  EXPECT_EQ(S3ErrorFor(failed.status()).http_status, 412);
  EXPECT_EQ(CodeOf(Get("bkt", "k", {{"If-Unmodified-Since", HttpDate(kStartMs - 3600 * 1000)}})),
            "PreconditionFailed");
}

TEST_F(S3ServiceTest, ConditionalWrites) {
  MakeBucket("bkt");
  ASSERT_TRUE(Put("bkt", "k", "first", {{"If-None-Match", "*"}}).ok());
  EXPECT_EQ(BlobCount(), 1u);
  EXPECT_EQ(CodeOf(Put("bkt", "k", "second", {{"If-None-Match", "*"}})), "PreconditionFailed");
  EXPECT_EQ(Body("bkt", "k"), "first");
  EXPECT_EQ(BlobCount(), 1u);  // the refused body's blob is gone
  EXPECT_EQ(CodeOf(Put("bkt", "k", "x", {{"If-None-Match", "\"abc\""}})), "NotImplemented");
  EXPECT_EQ(CodeOf(Put("bkt", "k", "third", {{"If-Match", "\"0000\""}})), "PreconditionFailed");
  ASSERT_TRUE(Put("bkt", "k", "third", {{"If-Match", "\"" + Md5Hex("first") + "\""}}).ok());
  EXPECT_EQ(Body("bkt", "k"), "third");
  EXPECT_EQ(CodeOf(Put("bkt", "absent", "x", {{"If-Match", "*"}})), "NoSuchKey");
  EXPECT_EQ(BlobCount(), 1u);
}

TEST_F(S3ServiceTest, MetadataLimit) {
  MakeBucket("bkt");
  // Names (without x-amz-meta-) and values count: 4 + 2044 = 2048 bytes fit.
  EXPECT_TRUE(Put("bkt", "k", "x", {{"x-amz-meta-name", std::string(2044, 'v')}}).ok());
  auto r = Put("bkt", "k2", "x", {{"x-amz-meta-name", std::string(2045, 'v')}});
  EXPECT_EQ(CodeOf(r), "MetadataTooLarge");
  EXPECT_EQ(CodeOf(Put("bkt", "k3", "x",
                       {{"x-amz-meta-a", std::string(1100, 'v')}, {"x-amz-meta-b", std::string(1100, 'v')}})),
            "MetadataTooLarge");
  EXPECT_EQ(Body("bkt", "k2"), "<NoSuchKey>");
}

TEST_F(S3ServiceTest, ContentMd5MismatchIsBadDigestAndStoresNothing) {
  MakeBucket("bkt");
  auto r = Put("bkt", "k", "the body", {{"Content-MD5", Md5Base64("another body")}});
  EXPECT_EQ(CodeOf(r), "BadDigest");
  EXPECT_EQ(Body("bkt", "k"), "<NoSuchKey>");
  EXPECT_EQ(BlobCount(), 0u);

  // Over an existing object, the old one stays.
  MustPut("bkt", "k", "old");
  EXPECT_EQ(CodeOf(Put("bkt", "k", "new", {{"Content-MD5", Md5Base64("other")}})), "BadDigest");
  EXPECT_EQ(Body("bkt", "k"), "old");
  EXPECT_EQ(BlobCount(), 1u);

  EXPECT_TRUE(Put("bkt", "k", "new", {{"Content-MD5", Md5Base64("new")}}).ok());
  EXPECT_EQ(Body("bkt", "k"), "new");
}

TEST_F(S3ServiceTest, MalformedContentMd5IsInvalidDigest) {
  MakeBucket("bkt");
  EXPECT_EQ(CodeOf(Put("bkt", "k", "x", {{"Content-MD5", "not base64!"}})), "InvalidDigest");
  EXPECT_EQ(CodeOf(Put("bkt", "k", "x", {{"Content-MD5", Base64Encode(AsBytes("short"))}})), "InvalidDigest");
}

TEST_F(S3ServiceTest, ChecksumHeaderMismatchIsBadDigest) {
  MakeBucket("bkt");
  const std::string wrong = crypto::ChecksumBase64(crypto::ChecksumAlgorithm::kCrc32, "other");
  EXPECT_EQ(CodeOf(Put("bkt", "k", "data", {{"x-amz-checksum-crc32", wrong}})), "BadDigest");
  EXPECT_EQ(Body("bkt", "k"), "<NoSuchKey>");
  EXPECT_EQ(BlobCount(), 0u);

  const std::string right = crypto::ChecksumBase64(crypto::ChecksumAlgorithm::kSha256, "data");
  auto ok = Put("bkt", "k", "data", {{"x-amz-checksum-sha256", right}});
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_EQ(HeaderOf(*ok, "x-amz-checksum-sha256"), right);
  auto get = Get("bkt", "k", {{"x-amz-checksum-mode", "ENABLED"}});
  ASSERT_TRUE(get.ok());
  EXPECT_EQ(HeaderOf(*get, "x-amz-checksum-sha256"), right);

  EXPECT_EQ(CodeOf(Put("bkt", "k", "data", {{"x-amz-checksum-crc32", "AAAA"}})), "InvalidRequest");
}

TEST_F(S3ServiceTest, OverwriteRemovesTheOldBlob) {
  MakeBucket("bkt");
  MustPut("bkt", "k", "one");
  EXPECT_EQ(BlobCount(), 1u);
  MustPut("bkt", "k", "two");
  EXPECT_EQ(BlobCount(), 1u);
  EXPECT_EQ(Body("bkt", "k"), "two");
  MustPut("bkt", "other", "three");
  EXPECT_EQ(BlobCount(), 2u);
  ASSERT_TRUE(DeleteObject(*s3_, Req("DeleteObject", "bkt", "k")).ok());
  EXPECT_EQ(BlobCount(), 1u);
  // Deleting a key that is not there is still 204.
  auto again = DeleteObject(*s3_, Req("DeleteObject", "bkt", "k"));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->status, 204);
}

// ---- Listing ------------------------------------------------------------------

class ListTest : public S3ServiceTest {
 protected:
  // 25 keys: dir1/ holds 9, dir2/ holds 8, 8 sit at the top.
  void SetUp() override {
    MakeBucket("bkt");
    for (int i = 0; i < 25; ++i) {
      char name[32];
      std::snprintf(name, sizeof(name), "%s%02d", i % 3 == 0 ? "dir1/f" : i % 3 == 1 ? "dir2/f" : "top", i);
      keys_.insert(name);
      MustPut("bkt", name, "x");
    }
    MakeBucket("other");
    MustPut("other", "dir1/f00", "x");
  }
  std::set<std::string> keys_;
};

TEST_F(ListTest, EveryKeyOnceAcrossPages) {
  int pages = 0;
  const std::vector<std::string> all = ListAll("bkt", {{"max-keys", "7"}}, &pages);
  EXPECT_EQ(pages, 4);
  EXPECT_EQ(all.size(), 25u);
  EXPECT_EQ(std::set<std::string>(all.begin(), all.end()), keys_);
  EXPECT_TRUE(std::is_sorted(all.begin(), all.end()));
}

TEST_F(ListTest, DelimiterFoldsCommonPrefixes) {
  auto page = List("bkt", {{"delimiter", "/"}});
  ASSERT_TRUE(page.ok()) << page.status().ToString();
  EXPECT_EQ(page->prefixes, (std::vector<std::string>{"dir1/", "dir2/"}));
  EXPECT_EQ(page->keys.size(), 8u);
  EXPECT_EQ(page->key_count, "10");
  EXPECT_FALSE(page->truncated);
}

// Paging through a delimited listing: each common prefix and key once.
TEST_F(ListTest, DelimiterAcrossPagesListsEachPrefixOnce) {
  int pages = 0;
  const std::vector<std::string> all = ListAll("bkt", {{"delimiter", "/"}, {"max-keys", "1"}}, &pages);
  std::map<std::string, int> seen;
  for (const auto& e : all) ++seen[e];
  EXPECT_EQ(seen["dir1/"], 1);
  EXPECT_EQ(seen["dir2/"], 1);
  for (const auto& [entry, n] : seen) EXPECT_EQ(n, 1) << entry;
  EXPECT_EQ(all.size(), 10u);
  EXPECT_EQ(pages, 10);
}

TEST_F(ListTest, PrefixLimitsTheListing) {
  auto page = List("bkt", {{"prefix", "dir1/"}, {"delimiter", "/"}});
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(page->keys.size(), 9u);
  EXPECT_TRUE(page->prefixes.empty());
  for (const auto& k : page->keys) EXPECT_TRUE(k.starts_with("dir1/")) << k;

  int pages = 0;
  const std::vector<std::string> all = ListAll("bkt", {{"prefix", "dir2/"}, {"max-keys", "3"}}, &pages);
  EXPECT_EQ(all.size(), 8u);
  EXPECT_EQ(pages, 3);
  auto none = List("bkt", {{"prefix", "zzz"}});
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->keys.empty());
}

TEST_F(ListTest, StartAfter) {
  auto page = List("bkt", {{"start-after", "top20"}});
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(page->keys, (std::vector<std::string>{"top23"}));
}

TEST_F(ListTest, BadParameters) {
  EXPECT_EQ(CodeOf(List("bkt", {{"continuation-token", "!!!"}})), "InvalidArgument");
  EXPECT_EQ(CodeOf(List("bkt", {{"max-keys", "-1"}})), "InvalidArgument");
  EXPECT_EQ(CodeOf(List("bkt", {{"max-keys", "ten"}})), "InvalidArgument");
  EXPECT_EQ(CodeOf(List("bkt", {{"encoding-type", "base64"}})), "InvalidArgument");
  EXPECT_EQ(CodeOf(List("nobucket", {})), "NoSuchBucket");
}

// ---- Multipart uploads ---------------------------------------------------------

TEST_F(S3ServiceTest, MultipartRoundTrip) {
  MakeBucket("bkt");
  const std::string upload = StartUpload("bkt", "big", {{"Content-Type", "video/mp4"}});
  ASSERT_FALSE(upload.empty());
  const std::string p1 = Pattern(5 * kMiB, 3);
  const std::string p2 = "z";
  const std::string e1 = MustPart("bkt", "big", upload, 1, p1);
  const std::string e2 = MustPart("bkt", "big", upload, 2, p2);
  EXPECT_EQ(e1, "\"" + Md5Hex(p1) + "\"");
  EXPECT_EQ(BlobCount(), 2u);

  auto listed = ListParts(*s3_, UploadReq("ListParts", "bkt", "big", upload));
  ASSERT_TRUE(listed.ok()) << listed.status().ToString();
  EXPECT_NE(listed->body.find("<PartNumber>2</PartNumber>"), std::string::npos);

  auto done = Complete("bkt", "big", upload, {{1, e1}, {2, e2}});
  ASSERT_TRUE(done.ok()) << done.status().ToString();
  std::string both_md5;
  for (const auto& part : {p1, p2}) {
    crypto::Md5 md5;
    md5.Update(part);
    const Bytes digest = md5.Finish();
    both_md5.append(reinterpret_cast<const char*>(digest.data()), digest.size());
  }
  const std::string etag = "\"" + Md5Hex(both_md5) + "-2\"";
  EXPECT_EQ(XmlChild(done->body, "CompleteMultipartUploadResult", "ETag"), etag);

  auto get = Get("bkt", "big");
  ASSERT_TRUE(get.ok()) << get.status().ToString();
  EXPECT_EQ(HeaderOf(*get, "ETag"), etag);
  EXPECT_EQ(HeaderOf(*get, "Content-Type"), "video/mp4");
  EXPECT_EQ(get->content_length, p1.size() + 1);
  EXPECT_TRUE(ReadAll(*get) == p1 + p2);
  EXPECT_EQ(BlobCount(), 2u);  // completing copies nothing

  // A range across the part boundary.
  auto range = Get("bkt", "big", {{"Range", "bytes=" + std::to_string(p1.size() - 2) + "-"}});
  ASSERT_TRUE(range.ok());
  EXPECT_EQ(ReadAll(*range), p1.substr(p1.size() - 2) + p2);

  // The upload is gone.
  EXPECT_EQ(CodeOf(ListParts(*s3_, UploadReq("ListParts", "bkt", "big", upload))), "NoSuchUpload");
  EXPECT_EQ(CodeOf(Complete("bkt", "big", upload, {{1, e1}, {2, e2}})), "NoSuchUpload");
}

TEST_F(S3ServiceTest, MultipartSmallFirstPartIsEntityTooSmall) {
  MakeBucket("bkt");
  const std::string upload = StartUpload("bkt", "k");
  const std::string e1 = MustPart("bkt", "k", upload, 1, "small");
  const std::string e2 = MustPart("bkt", "k", upload, 2, "last");
  auto r = Complete("bkt", "k", upload, {{1, e1}, {2, e2}});
  EXPECT_EQ(CodeOf(r), "EntityTooSmall");
  EXPECT_EQ(Body("bkt", "k"), "<NoSuchKey>");
  // One small part alone is a whole object.
  auto one = Complete("bkt", "k", upload, {{1, e1}});
  ASSERT_TRUE(one.ok()) << one.status().ToString();
  EXPECT_EQ(Body("bkt", "k"), "small");
  EXPECT_EQ(BlobCount(), 1u);  // the unused part's blob is removed
}

TEST_F(S3ServiceTest, MultipartPartOrderAndEtags) {
  MakeBucket("bkt");
  const std::string upload = StartUpload("bkt", "k");
  const std::string e1 = MustPart("bkt", "k", upload, 1, Pattern(5 * kMiB, 4));
  const std::string e2 = MustPart("bkt", "k", upload, 2, "tail");
  EXPECT_EQ(CodeOf(Complete("bkt", "k", upload, {{2, e2}, {1, e1}})), "InvalidPartOrder");
  EXPECT_EQ(CodeOf(Complete("bkt", "k", upload, {{1, e1}, {1, e1}})), "InvalidPartOrder");
  EXPECT_EQ(CodeOf(Complete("bkt", "k", upload, {{1, e1}, {2, "\"00000000000000000000000000000000\""}})),
            "InvalidPart");
  EXPECT_EQ(CodeOf(Complete("bkt", "k", upload, {{1, e1}, {3, e2}})), "InvalidPart");
  EXPECT_EQ(CodeOf(Complete("bkt", "k", upload, {})), "InvalidRequest");
  S3Request malformed = UploadReq("CompleteMultipartUpload", "bkt", "k", upload);
  malformed.body =
      "<CompleteMultipartUpload><Part><PartNumber>x</PartNumber></Part></CompleteMultipartUpload>";
  EXPECT_EQ(CodeOf(CompleteMultipartUpload(*s3_, malformed)), "MalformedXML");
  // Unquoted ETags are accepted.
  ASSERT_TRUE(Complete("bkt", "k", upload, {{1, e1.substr(1, e1.size() - 2)}, {2, e2}}).ok());
}

TEST_F(S3ServiceTest, MultipartBadPartNumbers) {
  MakeBucket("bkt");
  const std::string upload = StartUpload("bkt", "k");
  for (const std::string n : {"0", "10001", "x", ""}) {
    S3Request req = UploadReq("UploadPart", "bkt", "k", upload);
    req.query["partNumber"] = n;
    EXPECT_EQ(CodeOf(UploadPart(*s3_, req)), "InvalidArgument") << n;
  }
  EXPECT_EQ(CodeOf(Part("bkt", "k", "no-such-upload", 1, "x")), "NoSuchUpload");
  EXPECT_EQ(CodeOf(Part("bkt", "other-key", upload, 1, "x")), "NoSuchUpload");
}

TEST_F(S3ServiceTest, MultipartPartUploadedTwiceKeepsOneBlob) {
  MakeBucket("bkt");
  const std::string upload = StartUpload("bkt", "k");
  MustPart("bkt", "k", upload, 1, "first");
  const std::string e1 = MustPart("bkt", "k", upload, 1, "second");
  EXPECT_EQ(BlobCount(), 1u);
  ASSERT_TRUE(Complete("bkt", "k", upload, {{1, e1}}).ok());
  EXPECT_EQ(Body("bkt", "k"), "second");
}

TEST_F(S3ServiceTest, MultipartAbortRemovesParts) {
  MakeBucket("bkt");
  const std::string upload = StartUpload("bkt", "k");
  const std::string e1 = MustPart("bkt", "k", upload, 1, Pattern(1000, 5));
  MustPart("bkt", "k", upload, 2, "x");
  EXPECT_EQ(BlobCount(), 2u);
  auto aborted = AbortMultipartUpload(*s3_, UploadReq("AbortMultipartUpload", "bkt", "k", upload));
  ASSERT_TRUE(aborted.ok()) << aborted.status().ToString();
  EXPECT_EQ(aborted->status, 204);
  EXPECT_EQ(BlobCount(), 0u);
  EXPECT_EQ(CodeOf(AbortMultipartUpload(*s3_, UploadReq("AbortMultipartUpload", "bkt", "k", upload))),
            "NoSuchUpload");
  EXPECT_EQ(CodeOf(Part("bkt", "k", upload, 3, "y")), "NoSuchUpload");
  EXPECT_EQ(CodeOf(Complete("bkt", "k", upload, {{1, e1}})), "NoSuchUpload");
  EXPECT_EQ(CodeOf(ListParts(*s3_, UploadReq("ListParts", "bkt", "k", upload))), "NoSuchUpload");
  EXPECT_EQ(BlobCount(), 0u);
  EXPECT_TRUE(DeleteBucket(*s3_, Req("DeleteBucket", "bkt")).ok());
}

TEST_F(S3ServiceTest, MultipartCompleteReplacesTheOldObject) {
  MakeBucket("bkt");
  MustPut("bkt", "k", "old");
  const std::string upload = StartUpload("bkt", "k");
  const std::string e1 = MustPart("bkt", "k", upload, 1, "new");
  ASSERT_TRUE(Complete("bkt", "k", upload, {{1, e1}}).ok());
  EXPECT_EQ(Body("bkt", "k"), "new");
  EXPECT_EQ(BlobCount(), 1u);
}

// x-amz-tagging on CreateMultipartUpload tags the completed object.
TEST_F(S3ServiceTest, MultipartKeepsTheTaggingHeader) {
  MakeBucket("bkt");
  const std::string upload = StartUpload("bkt", "k", {{"x-amz-tagging", "team=red"}});
  const std::string e1 = MustPart("bkt", "k", upload, 1, "body");
  ASSERT_TRUE(Complete("bkt", "k", upload, {{1, e1}}).ok());
  auto tags = GetObjectTagging(*s3_, Req("GetObjectTagging", "bkt", "k"));
  ASSERT_TRUE(tags.ok());
  EXPECT_NE(tags->body.find("<Key>team</Key><Value>red</Value>"), std::string::npos) << tags->body;
}

TEST_F(S3ServiceTest, ListMultipartUploadsShowsOpenUploads) {
  MakeBucket("bkt");
  const std::string first = StartUpload("bkt", "a");
  const std::string second = StartUpload("bkt", "b");
  auto r = ListMultipartUploads(*s3_, Req("ListMultipartUploads", "bkt"));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_NE(r->body.find("<UploadId>" + first + "</UploadId>"), std::string::npos) << r->body;
  EXPECT_NE(r->body.find("<UploadId>" + second + "</UploadId>"), std::string::npos) << r->body;
}

// ---- DeleteObjects -------------------------------------------------------------

std::string DeleteBody(const std::vector<std::string>& keys, bool quiet) {
  std::string body = "<Delete>";
  if (quiet) body += "<Quiet>true</Quiet>";
  for (const auto& k : keys) body += "<Object><Key>" + k + "</Key></Object>";
  return body + "</Delete>";
}

TEST_F(S3ServiceTest, DeleteObjectsVerbose) {
  MakeBucket("bkt");
  for (const char* k : {"k1", "k2", "k3"}) MustPut("bkt", k, k);
  S3Request req = Req("DeleteObjects", "bkt");
  req.body = DeleteBody({"k1", "k2", "missing"}, false);
  req.headers = {{"Content-MD5", Md5Base64(req.body)}};
  auto r = DeleteObjects(*s3_, req);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  auto doc = XmlDoc::Parse(r->body);
  ASSERT_TRUE(doc.ok());
  auto root = doc->Root("DeleteResult");
  ASSERT_TRUE(root.ok());
  std::vector<std::string> deleted;
  for (const auto& d : Children(*root, "Deleted")) deleted.push_back(ChildText(d, "Key"));
  EXPECT_EQ(deleted, (std::vector<std::string>{"k1", "k2", "missing"}));
  EXPECT_TRUE(Children(*root, "Error").empty());
  EXPECT_EQ(Body("bkt", "k1"), "<NoSuchKey>");
  EXPECT_EQ(Body("bkt", "k3"), "k3");
  EXPECT_EQ(BlobCount(), 1u);
}

TEST_F(S3ServiceTest, DeleteObjectsQuiet) {
  MakeBucket("bkt");
  MustPut("bkt", "k1", "x");
  S3Request req = Req("DeleteObjects", "bkt");
  req.body = DeleteBody({"k1"}, true);
  req.headers = {{"Content-MD5", Md5Base64(req.body)}};
  auto r = DeleteObjects(*s3_, req);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->body.find("<Deleted>"), std::string::npos) << r->body;
  EXPECT_EQ(Body("bkt", "k1"), "<NoSuchKey>");
}

TEST_F(S3ServiceTest, DeleteObjectsRefusals) {
  MakeBucket("bkt");
  MustPut("bkt", "k1", "x");
  S3Request req = Req("DeleteObjects", "bkt");
  req.body = DeleteBody({"k1"}, false);
  EXPECT_EQ(CodeOf(DeleteObjects(*s3_, req)), "InvalidRequest");  // no Content-MD5 or checksum
  req.headers = {{"Content-MD5", Md5Base64(req.body)}};
  S3Request malformed = req;
  malformed.body = "<Delete><Object></Object></Delete>";
  EXPECT_EQ(CodeOf(DeleteObjects(*s3_, malformed)), "MalformedXML");
  malformed.body = "<Delete></Delete>";
  EXPECT_EQ(CodeOf(DeleteObjects(*s3_, malformed)), "MalformedXML");
  S3Request nobucket = req;
  nobucket.bucket = "nobucket";
  EXPECT_EQ(CodeOf(DeleteObjects(*s3_, nobucket)), "NoSuchBucket");
  EXPECT_EQ(Body("bkt", "k1"), "x");
}

// The Content-MD5 DeleteObjects requires is checked against the body.
TEST_F(S3ServiceTest, DeleteObjectsChecksContentMd5) {
  MakeBucket("bkt");
  MustPut("bkt", "k1", "x");
  S3Request req = Req("DeleteObjects", "bkt");
  req.body = DeleteBody({"k1"}, false);
  req.headers = {{"Content-MD5", Md5Base64("some other body")}};
  // The front checks every small body's claims before the operation runs.
  EXPECT_EQ(CodeOf(CheckBodyClaims(req)), "BadDigest");
  EXPECT_EQ(Body("bkt", "k1"), "x");
  req.headers = {{"x-amz-checksum-crc32", "AAAAAA=="}};
  EXPECT_EQ(CodeOf(CheckBodyClaims(req)), "BadDigest");
  req.headers = {{"Content-MD5", Md5Base64(req.body)}};
  EXPECT_TRUE(CheckBodyClaims(req).ok());
}

// ---- CopyObject ------------------------------------------------------------------

TEST_F(S3ServiceTest, CopyObjectCopiesOrReplacesMetadata) {
  MakeBucket("bkt");
  MustPut("bkt", "src", "payload",
          {{"Content-Type", "text/plain"}, {"x-amz-meta-a", "1"}, {"x-amz-tagging", "t=1"}});
  auto copied = CopyObject(*s3_, Req("CopyObject", "bkt", "dst", {{"x-amz-copy-source", "/bkt/src"}}));
  ASSERT_TRUE(copied.ok()) << copied.status().ToString();
  EXPECT_EQ(XmlChild(copied->body, "CopyObjectResult", "ETag"), "\"" + Md5Hex("payload") + "\"");
  auto dst = Get("bkt", "dst");
  ASSERT_TRUE(dst.ok());
  EXPECT_EQ(HeaderOf(*dst, "Content-Type"), "text/plain");
  EXPECT_EQ(HeaderOf(*dst, "x-amz-meta-a"), "1");
  EXPECT_EQ(HeaderOf(*dst, "x-amz-tagging-count"), "1");
  EXPECT_EQ(ReadAll(*dst), "payload");
  EXPECT_EQ(BlobCount(), 2u);

  auto replaced = CopyObject(*s3_, Req("CopyObject", "bkt", "dst2",
                                       {{"x-amz-copy-source", "bkt/src"},
                                        {"x-amz-metadata-directive", "REPLACE"},
                                        {"Content-Type", "application/json"},
                                        {"x-amz-meta-b", "2"}}));
  ASSERT_TRUE(replaced.ok()) << replaced.status().ToString();
  auto dst2 = Get("bkt", "dst2");
  ASSERT_TRUE(dst2.ok());
  EXPECT_EQ(HeaderOf(*dst2, "Content-Type"), "application/json");
  EXPECT_EQ(HeaderOf(*dst2, "x-amz-meta-a"), "");
  EXPECT_EQ(HeaderOf(*dst2, "x-amz-meta-b"), "2");
  EXPECT_EQ(ReadAll(*dst2), "payload");
  EXPECT_EQ(BlobCount(), 3u);
}

TEST_F(S3ServiceTest, CopyObjectRefusals) {
  MakeBucket("bkt");
  MustPut("bkt", "src", "payload");
  auto copy = [&](std::vector<auth::Header> headers, std::string key = "dst") {
    return CodeOf(CopyObject(*s3_, Req("CopyObject", "bkt", std::move(key), std::move(headers))));
  };
  EXPECT_EQ(copy({{"x-amz-copy-source", "bkt/src"}}, "src"), "InvalidRequest");  // onto itself, unchanged
  EXPECT_EQ(copy({{"x-amz-copy-source", "bkt/src"}, {"x-amz-metadata-directive", "REPLACE"}}, "src"), "");
  EXPECT_EQ(copy({{"x-amz-copy-source", "bkt/missing"}}), "NoSuchKey");
  EXPECT_EQ(copy({{"x-amz-copy-source", "nobucket/src"}}), "NoSuchBucket");
  EXPECT_EQ(copy({{"x-amz-copy-source", "bkt"}}), "InvalidArgument");
  EXPECT_EQ(copy({{"x-amz-copy-source", "bkt/src"}, {"x-amz-metadata-directive", "MERGE"}}),
            "InvalidArgument");
  EXPECT_EQ(copy({{"x-amz-copy-source", "bkt/src"}, {"x-amz-copy-source-if-match", "\"0000\""}}),
            "PreconditionFailed");
  EXPECT_EQ(Body("bkt", "dst"), "<NoSuchKey>");
  EXPECT_EQ(BlobCount(), 1u);
}

TEST_F(S3ServiceTest, CopyOverAnObjectRemovesItsBlob) {
  MakeBucket("bkt");
  MustPut("bkt", "src", "new");
  MustPut("bkt", "dst", "old");
  ASSERT_TRUE(CopyObject(*s3_, Req("CopyObject", "bkt", "dst", {{"x-amz-copy-source", "bkt/src"}})).ok());
  EXPECT_EQ(Body("bkt", "dst"), "new");
  EXPECT_EQ(BlobCount(), 2u);
}

// ---- Object tagging ----------------------------------------------------------------

TEST_F(S3ServiceTest, ObjectTagging) {
  MakeBucket("bkt");
  MustPut("bkt", "k", "x", {{"x-amz-tagging", "a=1&b=2"}});
  auto got = GetObjectTagging(*s3_, Req("GetObjectTagging", "bkt", "k"));
  ASSERT_TRUE(got.ok());
  EXPECT_NE(got->body.find("<Tag><Key>a</Key><Value>1</Value></Tag><Tag><Key>b</Key><Value>2</Value></Tag>"),
            std::string::npos)
      << got->body;

  S3Request put = Req("PutObjectTagging", "bkt", "k");
  put.body = "<Tagging><TagSet><Tag><Key>c</Key><Value>3</Value></Tag></TagSet></Tagging>";
  ASSERT_TRUE(PutObjectTagging(*s3_, put).ok());
  auto head = HeadObject(*s3_, Req("HeadObject", "bkt", "k"));
  ASSERT_TRUE(head.ok());
  EXPECT_EQ(HeaderOf(*head, "x-amz-tagging-count"), "1");
  got = GetObjectTagging(*s3_, Req("GetObjectTagging", "bkt", "k"));
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->body.find("<Key>a</Key>"), std::string::npos);
  EXPECT_NE(got->body.find("<Key>c</Key>"), std::string::npos);

  auto deleted = DeleteObjectTagging(*s3_, Req("DeleteObjectTagging", "bkt", "k"));
  ASSERT_TRUE(deleted.ok());
  EXPECT_EQ(deleted->status, 204);
  got = GetObjectTagging(*s3_, Req("GetObjectTagging", "bkt", "k"));
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->body.find("<Tag>"), std::string::npos);

  S3Request missing = put;
  missing.key = "nope";
  EXPECT_EQ(CodeOf(PutObjectTagging(*s3_, missing)), "NoSuchKey");
  S3Request bad = put;
  bad.body = "<Tagging><TagSet><Tag><Key>aws:x</Key><Value>1</Value></Tag></TagSet></Tagging>";
  EXPECT_EQ(CodeOf(PutObjectTagging(*s3_, bad)), "InvalidTag");
  EXPECT_EQ(CodeOf(Put("bkt", "k2", "x", {{"x-amz-tagging", "a=1&a=2"}})), "InvalidTag");
}

// ---- Authorization -------------------------------------------------------------------

TEST_F(S3ServiceTest, NoPolicyMeansAccessDenied) {
  MakeBucket("bkt");
  MustPut("bkt", "k", "x");
  identities_.allow = false;
  const auto denied = [](const auto& result) { return CodeOf(result); };
  EXPECT_EQ(denied(CreateBucket(*s3_, Req("CreateBucket", "bkt2"))), "AccessDenied");
  EXPECT_EQ(denied(HeadBucket(*s3_, Req("HeadBucket", "bkt"))), "AccessDenied");
  EXPECT_EQ(denied(ListBuckets(*s3_, Req("ListBuckets", ""))), "AccessDenied");
  EXPECT_EQ(denied(Put("bkt", "k", "y")), "AccessDenied");
  EXPECT_EQ(denied(Get("bkt", "k")), "AccessDenied");
  EXPECT_EQ(denied(List("bkt", {})), "AccessDenied");
  EXPECT_EQ(denied(DeleteObject(*s3_, Req("DeleteObject", "bkt", "k"))), "AccessDenied");
  EXPECT_EQ(denied(CreateMultipartUpload(*s3_, Req("CreateMultipartUpload", "bkt", "k"))), "AccessDenied");
  EXPECT_EQ(denied(DeleteBucket(*s3_, Req("DeleteBucket", "bkt"))), "AccessDenied");
  EXPECT_EQ(S3ErrorFor(Get("bkt", "k").status()).http_status, 403);
  identities_.allow = true;
  EXPECT_EQ(Body("bkt", "k"), "x");
}

TEST_F(S3ServiceTest, AnotherAccountsBucketIsAccessDenied) {
  MakeBucket("bkt");
  MustPut("bkt", "k", "x");
  S3Request get = testing::MakeRequest("GetObject", "bkt", "k", {}, kOtherAccount);
  EXPECT_EQ(CodeOf(GetObject(*s3_, get)), "AccessDenied");
  S3Request list = testing::MakeRequest("ListObjectsV2", "bkt", "", {}, kOtherAccount);
  EXPECT_EQ(CodeOf(ListObjectsV2(*s3_, list)), "AccessDenied");
}

// ---- S3 condition keys ------------------------------------------------------------

TEST_F(S3ServiceTest, ConditionKeysFromTheRequestDecide) {
  MakeBucket("bkt");
  MustPut("bkt", "home/a", "x");
  const char* text = R"({"Version":"2012-10-17","Statement":[
    {"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::bkt",
     "Condition":{"StringEquals":{"s3:prefix":"home/"}}},
    {"Effect":"Allow","Action":"s3:PutObject","Resource":"arn:aws:s3:::bkt/*",
     "Condition":{"StringEquals":{"s3:RequestObjectTag/team":"blue"}}}]})";
  auto parsed = policy::Parse(text, policy::ParseOptions{});
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  identities_.custom = std::make_shared<const policy::Policy>(std::move(*parsed));

  S3Request listing = Req("ListObjectsV2", "bkt");
  listing.query["prefix"] = "home/";
  EXPECT_TRUE(ListObjectsV2(*s3_, listing).ok());
  listing.query["prefix"] = "etc/";
  EXPECT_EQ(CodeOf(ListObjectsV2(*s3_, listing)), "AccessDenied");
  listing.query.erase("prefix");
  EXPECT_EQ(CodeOf(ListObjectsV2(*s3_, listing)), "AccessDenied");

  EXPECT_TRUE(PutObject(*s3_, Req("PutObject", "bkt", "k", {{"x-amz-tagging", "team=blue"}})).ok());
  EXPECT_EQ(CodeOf(PutObject(*s3_, Req("PutObject", "bkt", "k", {{"x-amz-tagging", "team=red"}}))),
            "AccessDenied");
  EXPECT_EQ(CodeOf(PutObject(*s3_, Req("PutObject", "bkt", "k"))), "AccessDenied");
  identities_.custom.reset();
}

}  // namespace
}  // namespace coffer::s3

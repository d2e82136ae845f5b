// S3 versioning through the operations of ops.h (versions.h underneath):
// bucket versioning state, version ids, the null version, delete markers,
// reads and deletes by versionId, ListObjectVersions and what each leaves in
// the blob store. Memory store, an encrypted blob store in a temp directory,
// a fake clock and an identity source that allows everything.
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <map>
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
#include "s3/service.h"
#include "s3/xml.h"
#include "store/store.h"

namespace coffer::s3 {
namespace {

namespace fs = std::filesystem;
using testing::CodeOf;

class AllowAll final : public policy::IdentityPolicySource {
 public:
  StatusOr<std::vector<policy::NamedPolicy>> PoliciesFor(const policy::CallerInfo&) override {
    return std::vector<policy::NamedPolicy>{{"AdministratorAccess", policy::AdministratorAccess()}};
  }
  std::uint64_t Generation() const override { return 0; }
};

std::string HeaderOf(const S3Reply& reply, std::string_view name) {
  for (const auto& [k, v] : reply.headers) {
    if (k.size() == name.size() && std::equal(k.begin(), k.end(), name.begin(), [](char a, char b) {
          return std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b));
        }))
      return v;
  }
  return {};
}

bool HasHeader(const S3Reply& reply, std::string_view name) {
  return std::any_of(reply.headers.begin(), reply.headers.end(), [&](const auth::Header& h) {
    return h.first.size() == name.size() &&
           std::equal(h.first.begin(), h.first.end(), name.begin(),
                      [](char a, char b) { return std::tolower(a) == std::tolower(b); });
  });
}

// The HTTP status a result goes out under (200 when it is OK).
template <typename T>
int HttpStatusOf(const StatusOr<T>& result) {
  return result.ok() ? 200 : S3ErrorFor(result.status()).http_status;
}

std::string Md5Base64(std::string_view data) {
  crypto::Md5 md5;
  md5.Update(data);
  return md5.FinishBase64();
}

// One entry of a ListVersionsResult, in document order.
struct Entry {
  bool marker = false;
  std::string key;
  std::string version_id;
  bool latest = false;
  std::string size;

  std::string Name() const { return key + "@" + version_id; }
};

struct VersionsPage {
  std::vector<Entry> entries;
  std::vector<std::string> prefixes;
  bool truncated = false;
  std::string next_key_marker;
  std::string next_version_id_marker;
  bool has_next_version_id_marker = false;
};

VersionsPage ParseVersions(const std::string& body) {
  VersionsPage out;
  auto doc = XmlDoc::Parse(body);
  EXPECT_TRUE(doc.ok()) << body;
  if (!doc.ok()) return out;
  auto root = doc->Root("ListVersionsResult");
  EXPECT_TRUE(root.ok()) << body;
  if (!root.ok()) return out;
  for (const pugi::xml_node& child : root->children()) {
    const std::string name = child.name();
    if (name == "Version" || name == "DeleteMarker") {
      Entry e;
      e.marker = name == "DeleteMarker";
      e.key = ChildText(child, "Key");
      e.version_id = ChildText(child, "VersionId");
      e.latest = ChildText(child, "IsLatest") == "true";
      e.size = ChildText(child, "Size");
      out.entries.push_back(std::move(e));
    } else if (name == "CommonPrefixes") {
      out.prefixes.push_back(ChildText(child, "Prefix"));
    }
  }
  out.truncated = ChildText(*root, "IsTruncated") == "true";
  out.next_key_marker = ChildText(*root, "NextKeyMarker");
  out.has_next_version_id_marker = HasChild(*root, "NextVersionIdMarker");
  out.next_version_id_marker = ChildText(*root, "NextVersionIdMarker");
  return out;
}

class S3VersionsTest : public testing::S3Fixture<AllowAll> {
 protected:
  static S3Request Req(std::string op, std::string bucket, std::string key = "",
                       std::map<std::string, std::string> query = {},
                       std::vector<auth::Header> headers = {}) {
    S3Request req =
        testing::MakeRequest(std::move(op), std::move(bucket), std::move(key), std::move(headers));
    req.query = std::move(query);
    return req;
  }

  void MakeBucket(const std::string& name) {
    auto r = CreateBucket(*s3_, Req("CreateBucket", name));
    ASSERT_TRUE(r.ok()) << r.status().ToString();
  }

  StatusOr<S3Reply> SetVersioning(const std::string& bucket, const std::string& status) {
    S3Request req = Req("PutBucketVersioning", bucket);
    req.body = "<VersioningConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Status>" +
               status + "</Status></VersioningConfiguration>";
    return PutBucketVersioning(*s3_, req);
  }

  void MustSetVersioning(const std::string& bucket, const std::string& status) {
    auto r = SetVersioning(bucket, status);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
  }

  // Each write a millisecond after the last, as a real clock would have it.
  StatusOr<S3Reply> Put(const std::string& bucket, const std::string& key, std::string_view body) {
    clock_.Advance(std::chrono::milliseconds(1));
    ASSIGN_OR_RETURN(auto sink, PutObject(*s3_, Req("PutObject", bucket, key)));
    RETURN_IF_ERROR(sink->Write(body));
    return sink->Finish("");
  }

  // PUT; returns the x-amz-version-id it answered ("" when none).
  std::string MustPut(const std::string& bucket, const std::string& key, std::string_view body) {
    auto r = Put(bucket, key, body);
    EXPECT_TRUE(r.ok()) << key << ": " << r.status().ToString();
    return r.ok() ? HeaderOf(*r, "x-amz-version-id") : "";
  }

  StatusOr<S3Reply> Delete(const std::string& bucket, const std::string& key,
                           std::map<std::string, std::string> query = {}) {
    clock_.Advance(std::chrono::milliseconds(1));
    return DeleteObject(*s3_, Req("DeleteObject", bucket, key, std::move(query)));
  }

  StatusOr<S3Reply> DeleteId(const std::string& bucket, const std::string& key, const std::string& id) {
    return Delete(bucket, key, {{"versionId", id}});
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
                        std::map<std::string, std::string> query = {}) {
    return GetObject(*s3_, Req("GetObject", bucket, key, std::move(query)));
  }

  StatusOr<S3Reply> Head(const std::string& bucket, const std::string& key,
                         std::map<std::string, std::string> query = {}) {
    return HeadObject(*s3_, Req("HeadObject", bucket, key, std::move(query)));
  }

  // The body of the current version, or "<error code>".
  std::string Body(const std::string& bucket, const std::string& key) {
    auto r = Get(bucket, key);
    if (!r.ok()) return "<" + CodeOf(r) + ">";
    return ReadAll(*r);
  }

  // The body of one version, or "<error code>".
  std::string BodyOf(const std::string& bucket, const std::string& key, const std::string& version_id) {
    auto r = Get(bucket, key, {{"versionId", version_id}});
    if (!r.ok()) return "<" + CodeOf(r) + ">";
    return ReadAll(*r);
  }

  std::set<std::string> Blobs() {
    auto ids = blobs_->List();
    EXPECT_TRUE(ids.ok()) << ids.status().ToString();
    return ids.ok() ? std::set<std::string>(ids->begin(), ids->end()) : std::set<std::string>{};
  }

  // The blobs the store's current record of `key` names.
  std::vector<std::string> BlobsOfCurrent(const std::string& bucket, const std::string& key) {
    auto txn = store_->BeginRead();
    EXPECT_TRUE(txn.ok());
    if (!txn.ok()) return {};
    auto object = LoadObject(**txn, bucket, key);
    EXPECT_TRUE(object.ok() && object->has_value());
    std::vector<std::string> out;
    if (object.ok() && object->has_value()) {
      for (const auto& p : (*object)->parts) out.push_back(p.blob);
    }
    return out;
  }

  StatusOr<VersionsPage> ListVersions(const std::string& bucket,
                                      std::map<std::string, std::string> query = {}) {
    ASSIGN_OR_RETURN(S3Reply reply, ListObjectVersions(*s3_, Req("ListObjectVersions", bucket, "", query)));
    return ParseVersions(reply.body);
  }

  // Every page with `max` entries a page: entries as "key@id", prefixes as "key/".
  std::vector<std::string> ListAllVersions(const std::string& bucket,
                                           std::map<std::string, std::string> query, int* out_pages) {
    std::vector<std::string> all;
    *out_pages = 0;
    for (;;) {
      auto page = ListVersions(bucket, query);
      EXPECT_TRUE(page.ok()) << page.status().ToString();
      if (!page.ok() || ++*out_pages > 100) break;
      for (const auto& e : page->entries) all.push_back(e.Name());
      for (const auto& p : page->prefixes) all.push_back(p);
      if (!page->truncated) break;
      EXPECT_FALSE(page->next_key_marker.empty());
      query["key-marker"] = page->next_key_marker;
      if (page->has_next_version_id_marker) {
        query["version-id-marker"] = page->next_version_id_marker;
      } else {
        query.erase("version-id-marker");
      }
    }
    return all;
  }

  std::vector<std::string> KeysV2(const std::string& bucket, std::map<std::string, std::string> query = {}) {
    S3Request req = Req("ListObjectsV2", bucket);
    query["list-type"] = "2";
    req.query = std::move(query);
    auto r = ListObjectsV2(*s3_, req);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    std::vector<std::string> keys;
    if (!r.ok()) return keys;
    auto doc = XmlDoc::Parse(r->body);
    EXPECT_TRUE(doc.ok());
    if (!doc.ok()) return keys;
    auto root = doc->Root("ListBucketResult");
    EXPECT_TRUE(root.ok());
    if (!root.ok()) return keys;
    for (const auto& c : Children(*root, "Contents")) keys.push_back(ChildText(c, "Key"));
    return keys;
  }
};

// ---- Bucket versioning state ----------------------------------------------------

TEST_F(S3VersionsTest, GetBucketVersioningOfANewBucketHasNoStatus) {
  MakeBucket("bkt");
  auto r = GetBucketVersioning(*s3_, Req("GetBucketVersioning", "bkt"));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  auto doc = XmlDoc::Parse(r->body);
  ASSERT_TRUE(doc.ok()) << r->body;
  auto root = doc->Root("VersioningConfiguration");
  ASSERT_TRUE(root.ok()) << r->body;
  EXPECT_FALSE(HasChild(*root, "Status")) << r->body;
}

TEST_F(S3VersionsTest, PutBucketVersioningEnabledThenSuspended) {
  MakeBucket("bkt");
  for (const std::string status : {"Enabled", "Suspended", "Enabled"}) {
    auto put = SetVersioning("bkt", status);
    ASSERT_TRUE(put.ok()) << status << ": " << put.status().ToString();
    EXPECT_EQ(put->status, 200);
    auto got = GetBucketVersioning(*s3_, Req("GetBucketVersioning", "bkt"));
    ASSERT_TRUE(got.ok());
    auto doc = XmlDoc::Parse(got->body);
    ASSERT_TRUE(doc.ok());
    auto root = doc->Root("VersioningConfiguration");
    ASSERT_TRUE(root.ok());
    EXPECT_EQ(ChildText(*root, "Status"), status) << got->body;
  }
}

TEST_F(S3VersionsTest, PutBucketVersioningOtherStatusesAreMalformedXml) {
  MakeBucket("bkt");
  for (const std::string status : {"Disabled", "enabled", "", "Enabled "}) {
    auto r = SetVersioning("bkt", status);
    EXPECT_EQ(CodeOf(r), "MalformedXML") << "'" << status << "'";
    EXPECT_EQ(HttpStatusOf(r), 400);
  }
  S3Request no_status = Req("PutBucketVersioning", "bkt");
  no_status.body = "<VersioningConfiguration></VersioningConfiguration>";
  EXPECT_EQ(CodeOf(PutBucketVersioning(*s3_, no_status)), "MalformedXML");
  S3Request broken = Req("PutBucketVersioning", "bkt");
  broken.body = "<VersioningConfiguration><Status>Enabled</Status>";
  EXPECT_EQ(CodeOf(PutBucketVersioning(*s3_, broken)), "MalformedXML");
  S3Request wrong_root = Req("PutBucketVersioning", "bkt");
  wrong_root.body = "<Versioning><Status>Enabled</Status></Versioning>";
  EXPECT_EQ(CodeOf(PutBucketVersioning(*s3_, wrong_root)), "MalformedXML");
  // Nothing was changed by the refusals.
  auto got = GetBucketVersioning(*s3_, Req("GetBucketVersioning", "bkt"));
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->body.find("<Status>"), std::string::npos) << got->body;
}

TEST_F(S3VersionsTest, VersioningOfAMissingBucketIsNoSuchBucket) {
  EXPECT_EQ(CodeOf(SetVersioning("nope", "Enabled")), "NoSuchBucket");
  EXPECT_EQ(CodeOf(GetBucketVersioning(*s3_, Req("GetBucketVersioning", "nope"))), "NoSuchBucket");
  EXPECT_EQ(CodeOf(ListVersions("nope")), "NoSuchBucket");
}

// ---- Version ids ----------------------------------------------------------------

TEST_F(S3VersionsTest, NeverVersionedBucketWritesTheNullVersionWithoutHeaders) {
  MakeBucket("bkt");
  auto put = Put("bkt", "k", "one");
  ASSERT_TRUE(put.ok()) << put.status().ToString();
  EXPECT_FALSE(HasHeader(*put, "x-amz-version-id"));
  auto get = Get("bkt", "k");
  ASSERT_TRUE(get.ok());
  EXPECT_FALSE(HasHeader(*get, "x-amz-version-id"));
  EXPECT_EQ(BodyOf("bkt", "k", "null"), "one");
  MustPut("bkt", "k", "two");
  EXPECT_EQ(BodyOf("bkt", "k", "null"), "two");
  EXPECT_EQ(Blobs().size(), 1u);  // the overwritten null version's blob is gone

  auto versions = ListVersions("bkt");
  ASSERT_TRUE(versions.ok());
  ASSERT_EQ(versions->entries.size(), 1u);
  EXPECT_EQ(versions->entries[0].version_id, "null");
  EXPECT_TRUE(versions->entries[0].latest);

  auto del = Delete("bkt", "k");
  ASSERT_TRUE(del.ok());
  EXPECT_EQ(del->status, 204);
  EXPECT_FALSE(HasHeader(*del, "x-amz-version-id"));
  EXPECT_FALSE(HasHeader(*del, "x-amz-delete-marker"));
  EXPECT_EQ(Body("bkt", "k"), "<NoSuchKey>");
  EXPECT_TRUE(Blobs().empty());
  auto after = ListVersions("bkt");
  ASSERT_TRUE(after.ok());
  EXPECT_TRUE(after->entries.empty());
}

TEST_F(S3VersionsTest, EnabledBucketGivesEveryPutANewVersion) {
  MakeBucket("bkt");
  MustSetVersioning("bkt", "Enabled");
  const std::string v1 = MustPut("bkt", "k", "one");
  const std::string v2 = MustPut("bkt", "k", "two");
  const std::string v3 = MustPut("bkt", "k", "three");
  EXPECT_FALSE(v1.empty());
  EXPECT_NE(v1, "null");
  EXPECT_EQ(std::set<std::string>({v1, v2, v3}).size(), 3u);

  EXPECT_EQ(Body("bkt", "k"), "three");
  EXPECT_EQ(BodyOf("bkt", "k", v1), "one");
  EXPECT_EQ(BodyOf("bkt", "k", v2), "two");
  EXPECT_EQ(BodyOf("bkt", "k", v3), "three");
  auto get = Get("bkt", "k");
  ASSERT_TRUE(get.ok());
  EXPECT_EQ(HeaderOf(*get, "x-amz-version-id"), v3);
  auto head = Head("bkt", "k", {{"versionId", v1}});
  ASSERT_TRUE(head.ok()) << head.status().ToString();
  EXPECT_EQ(HeaderOf(*head, "x-amz-version-id"), v1);
  EXPECT_EQ(head->content_length, 3u);
  EXPECT_EQ(Blobs().size(), 3u);
  // A bucket never versioned before has no null version.
  EXPECT_EQ(BodyOf("bkt", "k", "null"), "<NoSuchVersion>");
}

TEST_F(S3VersionsTest, UnknownVersionIsNoSuchVersionAndMalformedIdsInvalidArgument) {
  MakeBucket("bkt");
  MustSetVersioning("bkt", "Enabled");
  const std::string v1 = MustPut("bkt", "k", "one");
  ASSERT_EQ(v1.size(), 24u) << v1;  // 16 hex digits of order, 8 random

  // Well-formed but unknown: same order with another suffix, another order, another key.
  std::string other_suffix = v1;
  other_suffix.back() = other_suffix.back() == '0' ? '1' : '0';
  for (const std::string& unknown : {other_suffix, std::string("0123456789abcdef01234567")}) {
    auto get = Get("bkt", "k", {{"versionId", unknown}});
    EXPECT_EQ(CodeOf(get), "NoSuchVersion") << unknown;
    EXPECT_EQ(HttpStatusOf(get), 404);
    EXPECT_EQ(CodeOf(Head("bkt", "k", {{"versionId", unknown}})), "NoSuchVersion") << unknown;
  }
  EXPECT_EQ(CodeOf(Get("bkt", "other-key", {{"versionId", v1}})), "NoSuchVersion");

  for (const std::string malformed : {"", "abc", "zzzzzzzzzzzzzzzzzzzzzzzz", "0123456789abcdeX0000"}) {
    auto get = Get("bkt", "k", {{"versionId", malformed}});
    EXPECT_EQ(CodeOf(get), "InvalidArgument") << "'" << malformed << "'";
    EXPECT_EQ(HttpStatusOf(get), 400);
    EXPECT_EQ(CodeOf(Head("bkt", "k", {{"versionId", malformed}})), "InvalidArgument") << malformed;
    EXPECT_EQ(CodeOf(DeleteId("bkt", "k", malformed)), "InvalidArgument") << malformed;
  }
  EXPECT_EQ(Body("bkt", "k"), "one");
}

// ---- Delete markers -------------------------------------------------------------

TEST_F(S3VersionsTest, DeleteWithoutVersionIdAddsADeleteMarker) {
  MakeBucket("bkt");
  MustSetVersioning("bkt", "Enabled");
  const std::string v1 = MustPut("bkt", "k", "one");
  auto del = Delete("bkt", "k");
  ASSERT_TRUE(del.ok()) << del.status().ToString();
  EXPECT_EQ(del->status, 204);
  EXPECT_EQ(HeaderOf(*del, "x-amz-delete-marker"), "true");
  const std::string marker = HeaderOf(*del, "x-amz-version-id");
  EXPECT_FALSE(marker.empty());
  EXPECT_NE(marker, v1);
  EXPECT_NE(marker, "null");

  // The key reads as gone; the version under it does not.
  auto get = Get("bkt", "k");
  EXPECT_EQ(CodeOf(get), "NoSuchKey");
  EXPECT_EQ(HttpStatusOf(get), 404);
  EXPECT_EQ(CodeOf(Head("bkt", "k")), "NoSuchKey");
  EXPECT_EQ(BodyOf("bkt", "k", v1), "one");
  EXPECT_EQ(Blobs().size(), 1u);

  // The marker's own id names no object: 405.
  auto by_marker = Get("bkt", "k", {{"versionId", marker}});
  EXPECT_EQ(CodeOf(by_marker), "MethodNotAllowed");
  EXPECT_EQ(HttpStatusOf(by_marker), 405);
  auto head_marker = Head("bkt", "k", {{"versionId", marker}});
  EXPECT_EQ(CodeOf(head_marker), "MethodNotAllowed");
  EXPECT_EQ(HttpStatusOf(head_marker), 405);

  // A second delete adds a second marker.
  auto again = Delete("bkt", "k");
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(HeaderOf(*again, "x-amz-delete-marker"), "true");
  const std::string marker2 = HeaderOf(*again, "x-amz-version-id");
  EXPECT_NE(marker2, marker);
  auto versions = ListVersions("bkt");
  ASSERT_TRUE(versions.ok());
  ASSERT_EQ(versions->entries.size(), 3u);
  EXPECT_EQ(versions->entries[0].Name(), "k@" + marker2);
  EXPECT_TRUE(versions->entries[0].marker);
  EXPECT_TRUE(versions->entries[0].latest);
  EXPECT_EQ(versions->entries[1].Name(), "k@" + marker);
  EXPECT_TRUE(versions->entries[1].marker);
  EXPECT_FALSE(versions->entries[1].latest);
  EXPECT_EQ(versions->entries[2].Name(), "k@" + v1);
  EXPECT_FALSE(versions->entries[2].marker);
  EXPECT_FALSE(versions->entries[2].latest);
}

TEST_F(S3VersionsTest, DeletingTheDeleteMarkerBringsTheObjectBack) {
  MakeBucket("bkt");
  MustSetVersioning("bkt", "Enabled");
  const std::string v1 = MustPut("bkt", "k", "one");
  auto del = Delete("bkt", "k");
  ASSERT_TRUE(del.ok());
  const std::string marker = HeaderOf(*del, "x-amz-version-id");
  auto undelete = DeleteId("bkt", "k", marker);
  ASSERT_TRUE(undelete.ok()) << undelete.status().ToString();
  EXPECT_EQ(undelete->status, 204);
  EXPECT_EQ(HeaderOf(*undelete, "x-amz-version-id"), marker);
  EXPECT_EQ(HeaderOf(*undelete, "x-amz-delete-marker"), "true");
  EXPECT_EQ(Body("bkt", "k"), "one");
  auto get = Get("bkt", "k");
  ASSERT_TRUE(get.ok());
  EXPECT_EQ(HeaderOf(*get, "x-amz-version-id"), v1);
  EXPECT_EQ(KeysV2("bkt"), std::vector<std::string>{"k"});
}

TEST_F(S3VersionsTest, ListObjectsV2HidesDeleteMarkedKeys) {
  MakeBucket("bkt");
  MustSetVersioning("bkt", "Enabled");
  for (const char* k : {"a", "b", "c", "d", "dir/e", "dir/f"}) MustPut("bkt", k, k);
  for (const char* k : {"a", "c", "dir/e"}) ASSERT_TRUE(Delete("bkt", k).ok());
  EXPECT_EQ(KeysV2("bkt"), (std::vector<std::string>{"b", "d", "dir/f"}));
  EXPECT_EQ(KeysV2("bkt", {{"prefix", "dir/"}}), (std::vector<std::string>{"dir/f"}));
  // Pages of one key skip the marked ones too.
  std::vector<std::string> paged;
  std::map<std::string, std::string> query = {{"list-type", "2"}, {"max-keys", "1"}};
  for (int pages = 0; pages < 20; ++pages) {
    S3Request req = Req("ListObjectsV2", "bkt", "", query);
    auto r = ListObjectsV2(*s3_, req);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    auto doc = XmlDoc::Parse(r->body);
    ASSERT_TRUE(doc.ok());
    auto root = doc->Root("ListBucketResult");
    ASSERT_TRUE(root.ok());
    for (const auto& c : Children(*root, "Contents")) paged.push_back(ChildText(c, "Key"));
    if (ChildText(*root, "IsTruncated") != "true") break;
    query["continuation-token"] = ChildText(*root, "NextContinuationToken");
  }
  EXPECT_EQ(paged, (std::vector<std::string>{"b", "d", "dir/f"}));
  // A delete marker over every key leaves an empty listing.
  for (const char* k : {"b", "d", "dir/f"}) ASSERT_TRUE(Delete("bkt", k).ok());
  EXPECT_TRUE(KeysV2("bkt").empty());
}

// ---- Deleting versions for good ---------------------------------------------------

TEST_F(S3VersionsTest, DeletingTheCurrentVersionPromotesTheNewestOlderOne) {
  MakeBucket("bkt");
  MustSetVersioning("bkt", "Enabled");
  const std::string v1 = MustPut("bkt", "k", "one");
  const std::string v2 = MustPut("bkt", "k", "two");
  const std::string v3 = MustPut("bkt", "k", "three");
  const std::set<std::string> before = Blobs();
  ASSERT_EQ(before.size(), 3u);
  const std::vector<std::string> v3_blobs = BlobsOfCurrent("bkt", "k");
  ASSERT_EQ(v3_blobs.size(), 1u);

  auto del = DeleteId("bkt", "k", v3);
  ASSERT_TRUE(del.ok()) << del.status().ToString();
  EXPECT_EQ(del->status, 204);
  EXPECT_EQ(HeaderOf(*del, "x-amz-version-id"), v3);
  EXPECT_FALSE(HasHeader(*del, "x-amz-delete-marker"));
  EXPECT_EQ(Body("bkt", "k"), "two");
  EXPECT_EQ(BodyOf("bkt", "k", v3), "<NoSuchVersion>");
  EXPECT_EQ(Blobs().size(), 2u);
  EXPECT_FALSE(Blobs().contains(v3_blobs[0]));

  // A noncurrent version goes without touching the current one.
  ASSERT_TRUE(DeleteId("bkt", "k", v1).ok());
  EXPECT_EQ(Body("bkt", "k"), "two");
  EXPECT_EQ(BodyOf("bkt", "k", v1), "<NoSuchVersion>");
  auto versions = ListVersions("bkt");
  ASSERT_TRUE(versions.ok());
  ASSERT_EQ(versions->entries.size(), 1u);
  EXPECT_EQ(versions->entries[0].Name(), "k@" + v2);
  EXPECT_TRUE(versions->entries[0].latest);

  // Deleting a version that is not there (any more) still answers 204.
  auto gone = DeleteId("bkt", "k", v1);
  ASSERT_TRUE(gone.ok()) << gone.status().ToString();
  EXPECT_EQ(gone->status, 204);
  EXPECT_EQ(Body("bkt", "k"), "two");
}

TEST_F(S3VersionsTest, DeletingEveryVersionLeavesNoBlob) {
  MakeBucket("bkt");
  MustSetVersioning("bkt", "Enabled");
  MustPut("bkt", "keep", "kept");
  const std::set<std::string> kept = Blobs();
  ASSERT_EQ(kept.size(), 1u);
  std::vector<std::string> ids;
  ids.push_back(MustPut("bkt", "k", "one"));
  ids.push_back(MustPut("bkt", "k", std::string(200 * 1024, 'x')));  // several segments
  auto marker = Delete("bkt", "k");
  ASSERT_TRUE(marker.ok());
  ids.push_back(HeaderOf(*marker, "x-amz-version-id"));
  ids.push_back(MustPut("bkt", "k", "three"));
  EXPECT_EQ(Blobs().size(), 4u);
  // Oldest first, so each delete hits a noncurrent version until the last.
  for (const std::string& id : ids) ASSERT_TRUE(DeleteId("bkt", "k", id).ok()) << id;
  EXPECT_EQ(Blobs(), kept);
  EXPECT_EQ(Body("bkt", "k"), "<NoSuchKey>");
  auto versions = ListVersions("bkt");
  ASSERT_TRUE(versions.ok());
  ASSERT_EQ(versions->entries.size(), 1u);
  EXPECT_EQ(versions->entries[0].key, "keep");
}

TEST_F(S3VersionsTest, DeletingEveryVersionNewestFirstLeavesNoBlob) {
  MakeBucket("bkt");
  MustSetVersioning("bkt", "Enabled");
  std::vector<std::string> ids;
  for (const char* body : {"one", "two", "three"}) ids.push_back(MustPut("bkt", "k", body));
  std::reverse(ids.begin(), ids.end());
  const std::vector<std::string> expected_after = {"two", "one", "<NoSuchKey>"};
  for (std::size_t i = 0; i < ids.size(); ++i) {
    ASSERT_TRUE(DeleteId("bkt", "k", ids[i]).ok());
    EXPECT_EQ(Body("bkt", "k"), expected_after[i]) << "after deleting " << ids[i];
  }
  EXPECT_TRUE(Blobs().empty());
  auto done = DeleteBucket(*s3_, Req("DeleteBucket", "bkt"));
  EXPECT_TRUE(done.ok()) << done.status().ToString();
}

TEST_F(S3VersionsTest, DeleteBucketIsBucketNotEmptyWhileAnyVersionRemains) {
  MakeBucket("bkt");
  MustSetVersioning("bkt", "Enabled");
  const std::string v1 = MustPut("bkt", "k", "one");
  const std::string v2 = MustPut("bkt", "k", "two");
  auto marker = Delete("bkt", "k");
  ASSERT_TRUE(marker.ok());
  ASSERT_TRUE(KeysV2("bkt").empty());  // nothing listed, yet versions remain
  auto refused = DeleteBucket(*s3_, Req("DeleteBucket", "bkt"));
  EXPECT_EQ(CodeOf(refused), "BucketNotEmpty");
  EXPECT_EQ(HttpStatusOf(refused), 409);
  ASSERT_TRUE(DeleteId("bkt", "k", HeaderOf(*marker, "x-amz-version-id")).ok());
  ASSERT_TRUE(DeleteId("bkt", "k", v2).ok());
  EXPECT_EQ(CodeOf(DeleteBucket(*s3_, Req("DeleteBucket", "bkt"))), "BucketNotEmpty");  // v1 remains
  ASSERT_TRUE(DeleteId("bkt", "k", v1).ok());
  auto done = DeleteBucket(*s3_, Req("DeleteBucket", "bkt"));
  ASSERT_TRUE(done.ok()) << done.status().ToString();
  EXPECT_EQ(done->status, 204);
  EXPECT_TRUE(Blobs().empty());
}

// ---- The null version ---------------------------------------------------------------

TEST_F(S3VersionsTest, TheNullVersionFromBeforeEnablingStaysReadable) {
  MakeBucket("bkt");
  MustPut("bkt", "k", "original");
  MustSetVersioning("bkt", "Enabled");
  const std::string v1 = MustPut("bkt", "k", "versioned");
  EXPECT_EQ(Body("bkt", "k"), "versioned");
  EXPECT_EQ(BodyOf("bkt", "k", "null"), "original");
  auto versions = ListVersions("bkt");
  ASSERT_TRUE(versions.ok());
  ASSERT_EQ(versions->entries.size(), 2u);
  EXPECT_EQ(versions->entries[0].Name(), "k@" + v1);
  EXPECT_TRUE(versions->entries[0].latest);
  EXPECT_EQ(versions->entries[1].Name(), "k@null");
  EXPECT_FALSE(versions->entries[1].latest);
  EXPECT_EQ(Blobs().size(), 2u);
  // Deleting the null version by id removes it alone.
  auto del = DeleteId("bkt", "k", "null");
  ASSERT_TRUE(del.ok()) << del.status().ToString();
  EXPECT_EQ(HeaderOf(*del, "x-amz-version-id"), "null");
  EXPECT_EQ(BodyOf("bkt", "k", "null"), "<NoSuchVersion>");
  EXPECT_EQ(Body("bkt", "k"), "versioned");
  EXPECT_EQ(Blobs().size(), 1u);
}

TEST_F(S3VersionsTest, SuspendedBucketReplacesTheNoncurrentNullVersion) {
  MakeBucket("bkt");
  MustPut("bkt", "k", "null-1");
  const std::vector<std::string> null1_blobs = BlobsOfCurrent("bkt", "k");
  ASSERT_EQ(null1_blobs.size(), 1u);
  MustSetVersioning("bkt", "Enabled");
  const std::string v1 = MustPut("bkt", "k", "enabled-1");
  MustSetVersioning("bkt", "Suspended");

  // The new null version replaces the noncurrent null one; v1 stays.
  auto put = Put("bkt", "k", "null-2");
  ASSERT_TRUE(put.ok()) << put.status().ToString();
  EXPECT_EQ(HeaderOf(*put, "x-amz-version-id"), "null");
  EXPECT_EQ(Body("bkt", "k"), "null-2");
  EXPECT_EQ(BodyOf("bkt", "k", "null"), "null-2");
  EXPECT_EQ(BodyOf("bkt", "k", v1), "enabled-1");
  EXPECT_FALSE(Blobs().contains(null1_blobs[0]));
  EXPECT_EQ(Blobs().size(), 2u);
  auto versions = ListVersions("bkt");
  ASSERT_TRUE(versions.ok());
  ASSERT_EQ(versions->entries.size(), 2u);
  EXPECT_EQ(versions->entries[0].Name(), "k@null");
  EXPECT_TRUE(versions->entries[0].latest);
  EXPECT_EQ(versions->entries[1].Name(), "k@" + v1);
}

TEST_F(S3VersionsTest, SuspendedBucketOverwritingTheCurrentNullVersionRemovesItsBlob) {
  MakeBucket("bkt");
  MustSetVersioning("bkt", "Enabled");
  const std::string v1 = MustPut("bkt", "k", "enabled-1");
  MustSetVersioning("bkt", "Suspended");
  MustPut("bkt", "k", "null-1");
  const std::vector<std::string> null1_blobs = BlobsOfCurrent("bkt", "k");
  ASSERT_EQ(null1_blobs.size(), 1u);
  EXPECT_EQ(Blobs().size(), 2u);
  const std::string id = MustPut("bkt", "k", "null-2");
  EXPECT_EQ(id, "null");
  EXPECT_EQ(Body("bkt", "k"), "null-2");
  EXPECT_EQ(BodyOf("bkt", "k", v1), "enabled-1");
  EXPECT_FALSE(Blobs().contains(null1_blobs[0]));
  EXPECT_EQ(Blobs().size(), 2u);
  auto versions = ListVersions("bkt");
  ASSERT_TRUE(versions.ok());
  std::vector<std::string> names;
  for (const auto& e : versions->entries) names.push_back(e.Name());
  EXPECT_EQ(names, (std::vector<std::string>{"k@null", "k@" + v1}));
}

TEST_F(S3VersionsTest, SuspendedDeleteAddsANullDeleteMarkerReplacingTheNullVersion) {
  MakeBucket("bkt");
  MustSetVersioning("bkt", "Enabled");
  const std::string v1 = MustPut("bkt", "k", "enabled-1");
  MustSetVersioning("bkt", "Suspended");
  MustPut("bkt", "k", "null-1");
  ASSERT_EQ(Blobs().size(), 2u);
  auto del = Delete("bkt", "k");
  ASSERT_TRUE(del.ok()) << del.status().ToString();
  EXPECT_EQ(HeaderOf(*del, "x-amz-delete-marker"), "true");
  EXPECT_EQ(HeaderOf(*del, "x-amz-version-id"), "null");
  EXPECT_EQ(Body("bkt", "k"), "<NoSuchKey>");
  EXPECT_EQ(CodeOf(Get("bkt", "k", {{"versionId", "null"}})), "MethodNotAllowed");
  EXPECT_EQ(BodyOf("bkt", "k", v1), "enabled-1");
  EXPECT_EQ(Blobs().size(), 1u);  // null-1's blob went with it
  auto versions = ListVersions("bkt");
  ASSERT_TRUE(versions.ok());
  ASSERT_EQ(versions->entries.size(), 2u);
  EXPECT_TRUE(versions->entries[0].marker);
  EXPECT_EQ(versions->entries[0].Name(), "k@null");
  EXPECT_EQ(versions->entries[1].Name(), "k@" + v1);
}

TEST_F(S3VersionsTest, ReEnablingKeepsTheNullVersionAsANoncurrentOne) {
  MakeBucket("bkt");
  MustSetVersioning("bkt", "Suspended");
  const std::string n = MustPut("bkt", "k", "null-1");
  EXPECT_EQ(n, "null");
  MustSetVersioning("bkt", "Enabled");
  const std::string v1 = MustPut("bkt", "k", "enabled-1");
  const std::string v2 = MustPut("bkt", "k", "enabled-2");
  EXPECT_EQ(BodyOf("bkt", "k", "null"), "null-1");
  auto versions = ListVersions("bkt");
  ASSERT_TRUE(versions.ok());
  std::vector<std::string> names;
  for (const auto& e : versions->entries) names.push_back(e.Name());
  EXPECT_EQ(names, (std::vector<std::string>{"k@" + v2, "k@" + v1, "k@null"}));
  EXPECT_EQ(Blobs().size(), 3u);
}

TEST_F(S3VersionsTest, VersionsWrittenInOneMillisecondStayDistinctAndOrdered) {
  // A clock that does not move (a frozen test clock, or more writes than the
  // order's per-millisecond counter holds): every version must still get its
  // own row, newest first. 4097 delete markers over one version take the
  // per-process counter through at least one full cycle of its 12 bits.
  MakeBucket("bkt");
  MustSetVersioning("bkt", "Enabled");
  const std::string v1 = MustPut("bkt", "k", "one");
  std::vector<std::string> newest_first = {v1};
  for (int i = 0; i < 4097; ++i) {
    auto marker = DeleteObject(*s3_, Req("DeleteObject", "bkt", "k"));  // the clock is not advanced
    ASSERT_TRUE(marker.ok()) << marker.status().ToString();
    newest_first.insert(newest_first.begin(), HeaderOf(*marker, "x-amz-version-id"));
  }
  EXPECT_EQ(std::set<std::string>(newest_first.begin(), newest_first.end()).size(), newest_first.size());
  EXPECT_EQ(BodyOf("bkt", "k", v1), "one");
  int pages = 0;
  const auto listed = ListAllVersions("bkt", {}, &pages);
  std::vector<std::string> expected;
  for (const auto& id : newest_first) expected.push_back("k@" + id);
  EXPECT_EQ(listed.size(), expected.size());
  EXPECT_TRUE(listed == expected) << "versions listed out of order or lost";
  EXPECT_EQ(Blobs().size(), 1u);
}

// ---- Copy, multipart, DeleteObjects -----------------------------------------------

TEST_F(S3VersionsTest, CopyObjectFromAVersion) {
  MakeBucket("bkt");
  MustSetVersioning("bkt", "Enabled");
  const std::string v1 = MustPut("bkt", "src", "one");
  const std::string v2 = MustPut("bkt", "src", "two");
  auto copy = CopyObject(
      *s3_, Req("CopyObject", "bkt", "dst", {}, {{"x-amz-copy-source", "/bkt/src?versionId=" + v1}}));
  ASSERT_TRUE(copy.ok()) << copy.status().ToString();
  EXPECT_EQ(HeaderOf(*copy, "x-amz-copy-source-version-id"), v1);
  const std::string dst_id = HeaderOf(*copy, "x-amz-version-id");
  EXPECT_FALSE(dst_id.empty());
  EXPECT_NE(dst_id, v1);
  EXPECT_EQ(Body("bkt", "dst"), "one");
  EXPECT_EQ(BodyOf("bkt", "dst", dst_id), "one");

  // Without a versionId the current version is copied and named.
  auto current = CopyObject(*s3_, Req("CopyObject", "bkt", "dst2", {}, {{"x-amz-copy-source", "bkt/src"}}));
  ASSERT_TRUE(current.ok()) << current.status().ToString();
  EXPECT_EQ(HeaderOf(*current, "x-amz-copy-source-version-id"), v2);
  EXPECT_EQ(Body("bkt", "dst2"), "two");

  auto unknown = CopyObject(*s3_, Req("CopyObject", "bkt", "dst3", {},
                                      {{"x-amz-copy-source", "bkt/src?versionId=0123456789abcdef01234567"}}));
  EXPECT_EQ(CodeOf(unknown), "NoSuchVersion");
  auto malformed = CopyObject(
      *s3_, Req("CopyObject", "bkt", "dst3", {}, {{"x-amz-copy-source", "bkt/src?versionId=xyz"}}));
  EXPECT_EQ(CodeOf(malformed), "InvalidArgument");
  EXPECT_EQ(Body("bkt", "dst3"), "<NoSuchKey>");
}

TEST_F(S3VersionsTest, CopyingAnOlderVersionOntoItsOwnKeyRestoresIt) {
  // How S3 documents restoring a previous version: copy it onto the same key.
  // Naming a source version makes this no "copy onto itself".
  MakeBucket("bkt");
  MustSetVersioning("bkt", "Enabled");
  const std::string v1 = MustPut("bkt", "src", "one");
  const std::string v2 = MustPut("bkt", "src", "two");
  auto restore = CopyObject(
      *s3_, Req("CopyObject", "bkt", "src", {}, {{"x-amz-copy-source", "bkt/src?versionId=" + v1}}));
  ASSERT_TRUE(restore.ok()) << restore.status().ToString();
  const std::string v3 = HeaderOf(*restore, "x-amz-version-id");
  EXPECT_NE(v3, v1);
  EXPECT_NE(v3, v2);
  EXPECT_EQ(Body("bkt", "src"), "one");
  EXPECT_EQ(BodyOf("bkt", "src", v2), "two");
}

TEST_F(S3VersionsTest, CopyFromADeleteMarkedKeyIsNoSuchKeyButItsVersionsCopy) {
  MakeBucket("bkt");
  MustSetVersioning("bkt", "Enabled");
  const std::string v1 = MustPut("bkt", "src", "one");
  ASSERT_TRUE(Delete("bkt", "src").ok());
  EXPECT_EQ(CodeOf(CopyObject(*s3_, Req("CopyObject", "bkt", "dst", {}, {{"x-amz-copy-source", "bkt/src"}}))),
            "NoSuchKey");
  auto copy = CopyObject(
      *s3_, Req("CopyObject", "bkt", "dst", {}, {{"x-amz-copy-source", "bkt/src?versionId=" + v1}}));
  ASSERT_TRUE(copy.ok()) << copy.status().ToString();
  EXPECT_EQ(Body("bkt", "dst"), "one");
}

TEST_F(S3VersionsTest, UnversionedCopyNamesNoVersions) {
  MakeBucket("bkt");
  MustPut("bkt", "src", "one");
  auto copy = CopyObject(*s3_, Req("CopyObject", "bkt", "dst", {}, {{"x-amz-copy-source", "bkt/src"}}));
  ASSERT_TRUE(copy.ok()) << copy.status().ToString();
  EXPECT_FALSE(HasHeader(*copy, "x-amz-copy-source-version-id"));
  EXPECT_FALSE(HasHeader(*copy, "x-amz-version-id"));
}

TEST_F(S3VersionsTest, CompleteMultipartUploadInAnEnabledBucketMakesANewVersion) {
  MakeBucket("bkt");
  MustSetVersioning("bkt", "Enabled");
  const std::string v1 = MustPut("bkt", "k", "single");
  auto started = CreateMultipartUpload(*s3_, Req("CreateMultipartUpload", "bkt", "k"));
  ASSERT_TRUE(started.ok()) << started.status().ToString();
  auto doc = XmlDoc::Parse(started->body);
  ASSERT_TRUE(doc.ok());
  auto root = doc->Root("InitiateMultipartUploadResult");
  ASSERT_TRUE(root.ok());
  const std::string upload_id = ChildText(*root, "UploadId");
  const std::string part1(5 * 1024 * 1024, 'a');
  const std::string part2 = "tail";
  std::vector<std::pair<int, std::string>> etags;
  for (const auto& [n, body] : {std::pair<int, const std::string*>{1, &part1}, {2, &part2}}) {
    auto sink = UploadPart(
        *s3_, Req("UploadPart", "bkt", "k", {{"partNumber", std::to_string(n)}, {"uploadId", upload_id}}));
    ASSERT_TRUE(sink.ok()) << sink.status().ToString();
    ASSERT_TRUE((*sink)->Write(*body).ok());
    auto done = (*sink)->Finish("");
    ASSERT_TRUE(done.ok()) << done.status().ToString();
    etags.emplace_back(n, HeaderOf(*done, "ETag"));
  }
  S3Request complete = Req("CompleteMultipartUpload", "bkt", "k", {{"uploadId", upload_id}});
  complete.body = "<CompleteMultipartUpload>";
  for (const auto& [n, etag] : etags) {
    complete.body +=
        "<Part><PartNumber>" + std::to_string(n) + "</PartNumber><ETag>" + etag + "</ETag></Part>";
  }
  complete.body += "</CompleteMultipartUpload>";
  clock_.Advance(std::chrono::milliseconds(1));
  auto done = CompleteMultipartUpload(*s3_, complete);
  ASSERT_TRUE(done.ok()) << done.status().ToString();
  const std::string v2 = HeaderOf(*done, "x-amz-version-id");
  EXPECT_FALSE(v2.empty());
  EXPECT_NE(v2, v1);
  EXPECT_EQ(Body("bkt", "k"), part1 + part2);
  EXPECT_EQ(BodyOf("bkt", "k", v1), "single");
  EXPECT_EQ(Blobs().size(), 3u);  // the single PUT and two parts
  ASSERT_TRUE(DeleteId("bkt", "k", v2).ok());
  EXPECT_EQ(Body("bkt", "k"), "single");
  EXPECT_EQ(Blobs().size(), 1u);
}

std::string DeleteBody(const std::vector<std::pair<std::string, std::optional<std::string>>>& objects) {
  std::string body = "<Delete>";
  for (const auto& [key, version] : objects) {
    body += "<Object><Key>" + key + "</Key>";
    if (version) body += "<VersionId>" + *version + "</VersionId>";
    body += "</Object>";
  }
  return body + "</Delete>";
}

TEST_F(S3VersionsTest, DeleteObjectsWithPerObjectVersionIds) {
  MakeBucket("bkt");
  MustSetVersioning("bkt", "Enabled");
  const std::string a1 = MustPut("bkt", "a", "a1");
  const std::string a2 = MustPut("bkt", "a", "a2");
  MustPut("bkt", "b", "b1");
  auto marker = Delete("bkt", "c");  // c: a delete marker only
  ASSERT_TRUE(marker.ok());
  const std::string c_marker = HeaderOf(*marker, "x-amz-version-id");

  S3Request req = Req("DeleteObjects", "bkt");
  req.body = DeleteBody({{"a", a1}, {"b", std::nullopt}, {"c", c_marker}, {"a", std::string("bad")}});
  req.headers = {{"Content-MD5", Md5Base64(req.body)}};
  auto r = DeleteObjects(*s3_, req);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  auto doc = XmlDoc::Parse(r->body);
  ASSERT_TRUE(doc.ok()) << r->body;
  auto root = doc->Root("DeleteResult");
  ASSERT_TRUE(root.ok());
  const auto deleted = Children(*root, "Deleted");
  ASSERT_EQ(deleted.size(), 3u) << r->body;
  EXPECT_EQ(ChildText(deleted[0], "Key"), "a");
  EXPECT_EQ(ChildText(deleted[0], "VersionId"), a1);
  EXPECT_FALSE(HasChild(deleted[0], "DeleteMarker"));
  EXPECT_EQ(ChildText(deleted[1], "Key"), "b");
  EXPECT_FALSE(HasChild(deleted[1], "VersionId"));
  EXPECT_EQ(ChildText(deleted[1], "DeleteMarker"), "true");
  const std::string b_marker = ChildText(deleted[1], "DeleteMarkerVersionId");
  EXPECT_FALSE(b_marker.empty());
  EXPECT_EQ(ChildText(deleted[2], "Key"), "c");
  EXPECT_EQ(ChildText(deleted[2], "VersionId"), c_marker);
  EXPECT_EQ(ChildText(deleted[2], "DeleteMarker"), "true");
  const auto errors = Children(*root, "Error");
  ASSERT_EQ(errors.size(), 1u) << r->body;
  EXPECT_EQ(ChildText(errors[0], "Key"), "a");
  EXPECT_EQ(ChildText(errors[0], "Code"), "InvalidArgument");

  EXPECT_EQ(BodyOf("bkt", "a", a1), "<NoSuchVersion>");
  EXPECT_EQ(Body("bkt", "a"), "a2");
  EXPECT_EQ(BodyOf("bkt", "a", a2), "a2");
  EXPECT_EQ(Body("bkt", "b"), "<NoSuchKey>");
  EXPECT_EQ(CodeOf(Get("bkt", "b", {{"versionId", b_marker}})), "MethodNotAllowed");
  auto versions = ListVersions("bkt", {{"prefix", "c"}});
  ASSERT_TRUE(versions.ok());
  EXPECT_TRUE(versions->entries.empty());  // c's only version, its marker, is gone
  EXPECT_EQ(Blobs().size(), 2u);           // a2 and b1
}

// ---- ListObjectVersions -------------------------------------------------------------

class ListVersionsTest : public S3VersionsTest {
 protected:
  // a: three versions under a delete marker; b: one version; dir/c: two;
  // dir/d: one. Written interleaved, so no key's versions are adjacent in time.
  void SetUp() override {
    MakeBucket("bkt");
    MustSetVersioning("bkt", "Enabled");
    Add("a", MustPut("bkt", "a", "a1"));
    Add("b", MustPut("bkt", "b", "b1"));
    Add("a", MustPut("bkt", "a", "a2"));
    Add("dir/c", MustPut("bkt", "dir/c", "c1"));
    Add("a", MustPut("bkt", "a", "a3"));
    Add("dir/c", MustPut("bkt", "dir/c", "c2"));
    Add("dir/d", MustPut("bkt", "dir/d", "d1"));
    auto marker = Delete("bkt", "a");
    ASSERT_TRUE(marker.ok());
    Add("a", HeaderOf(*marker, "x-amz-version-id"));
    MakeBucket("other");
    MustPut("other", "a", "x");
  }
  void Add(const std::string& key, const std::string& id) {
    newest_first_[key].insert(newest_first_[key].begin(), id);
  }

  // Every version as "key@id": keys in order, each key's newest first.
  std::vector<std::string> Expected(std::string_view prefix = "") const {
    std::vector<std::string> out;
    for (const auto& [key, ids] : newest_first_) {
      if (!key.starts_with(prefix)) continue;
      for (const auto& id : ids) out.push_back(key + "@" + id);
    }
    return out;
  }

  std::map<std::string, std::vector<std::string>> newest_first_;
};

TEST_F(ListVersionsTest, EveryVersionNewestFirstWithIsLatestAndMarkers) {
  auto page = ListVersions("bkt");
  ASSERT_TRUE(page.ok()) << page.status().ToString();
  std::vector<std::string> names;
  for (const auto& e : page->entries) names.push_back(e.Name());
  EXPECT_EQ(names, Expected());
  EXPECT_FALSE(page->truncated);
  std::string last_key;
  for (const auto& e : page->entries) {
    EXPECT_EQ(e.latest, e.key != last_key) << e.Name();  // the first of each key is the latest
    last_key = e.key;
  }
  ASSERT_FALSE(page->entries.empty());
  EXPECT_TRUE(page->entries[0].marker);  // a's newest is its delete marker
  EXPECT_TRUE(page->entries[0].size.empty());
  EXPECT_EQ(
      std::count_if(page->entries.begin(), page->entries.end(), [](const Entry& e) { return e.marker; }), 1);
  EXPECT_EQ(page->entries[1].size, "2");
}

TEST_F(ListVersionsTest, Prefix) {
  auto page = ListVersions("bkt", {{"prefix", "dir/"}});
  ASSERT_TRUE(page.ok()) << page.status().ToString();
  std::vector<std::string> names;
  for (const auto& e : page->entries) names.push_back(e.Name());
  EXPECT_EQ(names, Expected("dir/"));
  auto none = ListVersions("bkt", {{"prefix", "zzz"}});
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->entries.empty());
}

TEST_F(ListVersionsTest, DelimiterFoldsCommonPrefixes) {
  auto page = ListVersions("bkt", {{"delimiter", "/"}});
  ASSERT_TRUE(page.ok()) << page.status().ToString();
  std::vector<std::string> names;
  for (const auto& e : page->entries) names.push_back(e.Name());
  std::vector<std::string> expected = Expected("a");
  for (const auto& n : Expected("b")) expected.push_back(n);
  EXPECT_EQ(names, expected);
  EXPECT_EQ(page->prefixes, std::vector<std::string>{"dir/"});
}

TEST_F(ListVersionsTest, MaxKeysPagesListEveryVersionOnce) {
  for (int max : {1, 2, 3, 4, 5, 7, 9, 1000}) {
    int pages = 0;
    const auto all = ListAllVersions("bkt", {{"max-keys", std::to_string(max)}}, &pages);
    EXPECT_EQ(all, Expected()) << "max-keys " << max;
    const int total = static_cast<int>(Expected().size());
    EXPECT_EQ(pages, std::max(1, (total + max - 1) / max)) << "max-keys " << max;
  }
}

TEST_F(ListVersionsTest, PageMarkersNameTheLastEntry) {
  auto first = ListVersions("bkt", {{"max-keys", "2"}});
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  ASSERT_EQ(first->entries.size(), 2u);
  EXPECT_TRUE(first->truncated);
  EXPECT_EQ(first->next_key_marker, "a");
  EXPECT_EQ(first->next_version_id_marker, first->entries[1].version_id);
  // Resuming from the marker continues inside the key.
  auto second = ListVersions(
      "bkt", {{"max-keys", "2"}, {"key-marker", "a"}, {"version-id-marker", first->next_version_id_marker}});
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  ASSERT_EQ(second->entries.size(), 2u);
  EXPECT_EQ(second->entries[0].Name(), Expected()[2]);
  EXPECT_EQ(second->entries[1].Name(), Expected()[3]);
  EXPECT_FALSE(second->entries[0].latest);
}

TEST_F(ListVersionsTest, KeyMarkerAloneStartsAfterThatKey) {
  auto page = ListVersions("bkt", {{"key-marker", "a"}});
  ASSERT_TRUE(page.ok()) << page.status().ToString();
  std::vector<std::string> names;
  for (const auto& e : page->entries) names.push_back(e.Name());
  std::vector<std::string> expected;
  for (const auto& n : Expected()) {
    if (!n.starts_with("a@")) expected.push_back(n);
  }
  EXPECT_EQ(names, expected);
}

TEST_F(ListVersionsTest, VersionIdMarkerWithoutKeyMarkerIsInvalidArgument) {
  auto r = ListVersions("bkt", {{"version-id-marker", newest_first_["a"][0]}});
  EXPECT_EQ(CodeOf(r), "InvalidArgument");
  EXPECT_EQ(HttpStatusOf(r), 400);
}

TEST_F(ListVersionsTest, BadMaxKeysIsInvalidArgument) {
  EXPECT_EQ(CodeOf(ListVersions("bkt", {{"max-keys", "-1"}})), "InvalidArgument");
  EXPECT_EQ(CodeOf(ListVersions("bkt", {{"max-keys", "ten"}})), "InvalidArgument");
}

TEST_F(ListVersionsTest, DelimiterPagesListEachPrefixOnce) {
  // Entries with "/" as delimiter: a's 4 versions, b, then dir/ once; more keys after it.
  MustPut("bkt", "e", "e1");
  MustPut("bkt", "dir2/x", "x");
  MustPut("bkt", "dir2/y", "y");
  int pages = 0;
  const auto unpaged = ListAllVersions("bkt", {{"delimiter", "/"}}, &pages);
  EXPECT_EQ(pages, 1);
  for (int max : {1, 2, 3, 5, 6}) {
    const auto all = ListAllVersions("bkt", {{"delimiter", "/"}, {"max-keys", std::to_string(max)}}, &pages);
    std::multiset<std::string> once(all.begin(), all.end());
    EXPECT_EQ(std::multiset<std::string>(unpaged.begin(), unpaged.end()), once) << "max-keys " << max;
    EXPECT_EQ(std::count(all.begin(), all.end(), "dir/"), 1) << "max-keys " << max;
    EXPECT_EQ(std::count(all.begin(), all.end(), "dir2/"), 1) << "max-keys " << max;
  }
}

}  // namespace
}  // namespace coffer::s3

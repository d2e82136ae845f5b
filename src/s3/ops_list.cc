// Listings: ListObjectsV2, ListObjects (v1) and ListMultipartUploads.
#include <algorithm>

#include "common/encoding.h"
#include "crypto/crypto.h"
#include "s3/errors.h"
#include "s3/ops.h"
#include "s3/uri.h"
#include "s3/versions.h"
#include "s3/xml.h"

namespace coffer::s3 {
namespace {

constexpr std::size_t kMaxKeys = 1000;
constexpr std::size_t kScanBatch = 1000;

struct ListInput {
  std::string prefix;
  std::string delimiter;
  std::string after;  // list keys strictly after this one
  std::size_t max = kMaxKeys;
};

struct ListOutput {
  std::vector<ObjectRecord> contents;
  std::vector<std::string> prefixes;
  bool truncated = false;
  std::string last;  // the last key or common prefix returned
};

// Walks the bucket's keys in order, folding keys that share a prefix up to
// the delimiter into one common prefix, until `max` entries are found.
StatusOr<ListOutput> Walk(S3Service& s3, const std::string& bucket, const ListInput& in) {
  ListOutput out;
  ASSIGN_OR_RETURN(auto txn, s3.store().BeginRead());
  const std::string row_prefix = bucket + "/" + in.prefix;
  std::string start = in.after.empty() || in.after < in.prefix ? std::string() : bucket + "/" + in.after;
  // Resuming after a common prefix skips every key under it, as the page
  // that returned it did.
  if (!start.empty() && !in.delimiter.empty() && in.after.ends_with(in.delimiter) &&
      in.after.find(in.delimiter, in.prefix.size()) == in.after.size() - in.delimiter.size()) {
    start += "\xff";
  }
  std::size_t count = 0;
  for (;;) {
    ASSIGN_OR_RETURN(auto rows, txn->Scan(kObjectsTable, row_prefix, start, kScanBatch));
    if (rows.empty()) return out;
    bool rescan = false;
    for (const auto& row : rows) {
      const std::string key = row.key.substr(bucket.size() + 1);
      std::string common;
      if (!in.delimiter.empty()) {
        const std::size_t at = key.find(in.delimiter, in.prefix.size());
        if (at != std::string::npos) common = key.substr(0, at + in.delimiter.size());
      }
      std::optional<ObjectRecord> record;
      if (common.empty()) {
        ASSIGN_OR_RETURN(record, DecodeObject(row.value));
        if (record->delete_marker) {  // a deleted key is not listed
          start = row.key;
          continue;
        }
      }
      if (count == in.max) {
        out.truncated = true;
        return out;
      }
      ++count;
      if (!common.empty()) {
        out.prefixes.push_back(common);
        out.last = common;
        // No UTF-8 key holds a 0xFF byte: this skips every key under `common`.
        start = bucket + "/" + common + "\xff";
        rescan = true;
        break;
      }
      out.contents.push_back(std::move(*record));
      out.last = key;
      start = row.key;
    }
    if (!rescan && rows.size() < kScanBatch) return out;
  }
}

StatusOr<ListInput> CommonInput(const S3Request& req) {
  ListInput in;
  if (const std::string* p = req.Query("prefix")) in.prefix = *p;
  if (const std::string* d = req.Query("delimiter")) in.delimiter = *d;
  if (const std::string* m = req.Query("max-keys")) {
    ASSIGN_OR_RETURN(in.max, ParseMaxKeys(*m, "max-keys", kMaxKeys));
  }
  if (const std::string* e = req.Query("encoding-type"); e != nullptr && *e != "url") {
    return InvalidArgument("Invalid Encoding Method specified in Request");
  }
  return in;
}

void WriteContents(XmlOut& xml, const ObjectRecord& o, bool url, bool owner, const std::string& account) {
  xml.Open("Contents").Leaf("Key", url ? UrlEncode(o.key, true) : o.key);
  xml.Leaf("LastModified", IsoMillis(o.last_modified_ms)).Leaf("ETag", o.etag).Leaf("Size", o.size);
  if (!o.checksum_algorithm.empty()) xml.Leaf("ChecksumAlgorithm", o.checksum_algorithm);
  xml.Leaf("StorageClass", o.storage_class);
  if (owner) xml.Open("Owner").Leaf("ID", CanonicalUserId(account)).Leaf("DisplayName", account).Close();
  xml.Close();
}

void WritePrefixes(XmlOut& xml, const std::vector<std::string>& prefixes, bool url) {
  for (const auto& p : prefixes)
    xml.Open("CommonPrefixes").Leaf("Prefix", url ? UrlEncode(p, true) : p).Close();
}

}  // namespace

std::string CanonicalUserId(std::string_view account) {
  const std::string seed = "coffer-canonical-user:" + std::string(account);
  const crypto::Sha256Digest digest = crypto::Sha256(AsBytes(seed));
  return HexEncode(ByteView(digest.data(), digest.size()));
}

StatusOr<std::size_t> ParseMaxKeys(std::string_view text, std::string_view name, std::size_t cap) {
  if (text.empty() || text.size() > 10 || !std::all_of(text.begin(), text.end(), ::isdigit)) {
    return InvalidArgument("Provided " + std::string(name) + " not an integer or within integer range");
  }
  return std::min<std::size_t>(std::stoul(std::string(text)), cap);
}

StatusOr<S3Reply> ListObjectsV2(S3Service& s3, const S3Request& req) {
  ASSIGN_OR_RETURN(BucketRecord bucket, s3.AuthorizedBucket(req, "s3:ListBucket", false));
  ASSIGN_OR_RETURN(ListInput in, CommonInput(req));
  const std::string* token = req.Query("continuation-token");
  const std::string* start_after = req.Query("start-after");
  if (token != nullptr) {
    std::optional<Bytes> raw = Base64Decode(*token);
    if (!raw || token->empty()) return InvalidArgument("The continuation token provided is incorrect");
    in.after.assign(raw->begin(), raw->end());
  } else if (start_after != nullptr) {
    in.after = *start_after;
  }
  ASSIGN_OR_RETURN(ListOutput out, Walk(s3, bucket.name, in));
  const bool url = req.Query("encoding-type") != nullptr;
  const bool owner = req.Query("fetch-owner") != nullptr && *req.Query("fetch-owner") == "true";
  XmlOut xml("ListBucketResult");
  xml.Leaf("Name", bucket.name).Leaf("Prefix", url ? UrlEncode(in.prefix, true) : in.prefix);
  if (!in.delimiter.empty()) xml.Leaf("Delimiter", url ? UrlEncode(in.delimiter, true) : in.delimiter);
  xml.Leaf("MaxKeys", in.max).Leaf("KeyCount", out.contents.size() + out.prefixes.size());
  xml.Leaf("IsTruncated", out.truncated ? "true" : "false");
  if (token != nullptr) xml.Leaf("ContinuationToken", *token);
  if (out.truncated) xml.Leaf("NextContinuationToken", Base64Encode(AsBytes(out.last)));
  if (start_after != nullptr) xml.Leaf("StartAfter", url ? UrlEncode(*start_after, true) : *start_after);
  if (url) xml.Leaf("EncodingType", "url");
  for (const auto& o : out.contents) WriteContents(xml, o, url, owner, bucket.account);
  WritePrefixes(xml, out.prefixes, url);
  return XmlResponse(xml.Finish());
}

StatusOr<S3Reply> ListObjects(S3Service& s3, const S3Request& req) {
  ASSIGN_OR_RETURN(BucketRecord bucket, s3.AuthorizedBucket(req, "s3:ListBucket", false));
  ASSIGN_OR_RETURN(ListInput in, CommonInput(req));
  const std::string marker = req.Query("marker") ? *req.Query("marker") : "";
  in.after = marker;
  ASSIGN_OR_RETURN(ListOutput out, Walk(s3, bucket.name, in));
  const bool url = req.Query("encoding-type") != nullptr;
  XmlOut xml("ListBucketResult");
  xml.Leaf("Name", bucket.name).Leaf("Prefix", url ? UrlEncode(in.prefix, true) : in.prefix);
  xml.Leaf("Marker", url ? UrlEncode(marker, true) : marker);
  if (out.truncated && !in.delimiter.empty())
    xml.Leaf("NextMarker", url ? UrlEncode(out.last, true) : out.last);
  xml.Leaf("MaxKeys", in.max);
  if (!in.delimiter.empty()) xml.Leaf("Delimiter", url ? UrlEncode(in.delimiter, true) : in.delimiter);
  xml.Leaf("IsTruncated", out.truncated ? "true" : "false");
  if (url) xml.Leaf("EncodingType", "url");
  for (const auto& o : out.contents) WriteContents(xml, o, url, true, bucket.account);
  WritePrefixes(xml, out.prefixes, url);
  return XmlResponse(xml.Finish());
}

StatusOr<S3Reply> ListMultipartUploads(S3Service& s3, const S3Request& req) {
  ASSIGN_OR_RETURN(BucketRecord bucket, s3.AuthorizedBucket(req, "s3:ListBucketMultipartUploads", false));
  std::size_t max = 1000;
  if (const std::string* m = req.Query("max-uploads")) {
    ASSIGN_OR_RETURN(max, ParseMaxKeys(*m, "max-uploads", 1000));
  }
  const std::string prefix = req.Query("prefix") ? *req.Query("prefix") : "";
  const std::string key_marker = req.Query("key-marker") ? *req.Query("key-marker") : "";
  const std::string id_marker = req.Query("upload-id-marker") ? *req.Query("upload-id-marker") : "";
  ASSIGN_OR_RETURN(auto txn, s3.store().BeginRead());
  ASSIGN_OR_RETURN(auto rows, txn->Scan(kUploadsTable, bucket.name + "/", "", kAllRows));
  std::vector<UploadRecord> uploads;
  for (const auto& row : rows) {
    ASSIGN_OR_RETURN(UploadRecord u, DecodeUpload(row.value));
    if (!u.key.starts_with(prefix)) continue;
    if (!key_marker.empty() && (u.key < key_marker || (u.key == key_marker && u.upload_id <= id_marker)))
      continue;
    uploads.push_back(std::move(u));
  }
  std::sort(uploads.begin(), uploads.end(), [](const UploadRecord& a, const UploadRecord& b) {
    return a.key != b.key ? a.key < b.key : a.initiated_ms < b.initiated_ms;
  });
  const bool truncated = uploads.size() > max;
  if (truncated) uploads.resize(max);
  XmlOut xml("ListMultipartUploadsResult");
  xml.Leaf("Bucket", bucket.name).Leaf("KeyMarker", key_marker).Leaf("UploadIdMarker", id_marker);
  if (truncated) {
    xml.Leaf("NextKeyMarker", uploads.back().key).Leaf("NextUploadIdMarker", uploads.back().upload_id);
  }
  xml.Leaf("Prefix", prefix).Leaf("MaxUploads", max).Leaf("IsTruncated", truncated ? "true" : "false");
  for (const auto& u : uploads) {
    xml.Open("Upload").Leaf("Key", u.key).Leaf("UploadId", u.upload_id);
    xml.Open("Initiator").Leaf("ID", u.initiator_arn).Leaf("DisplayName", u.account).Close();
    xml.Open("Owner").Leaf("ID", CanonicalUserId(u.account)).Leaf("DisplayName", u.account).Close();
    xml.Leaf("StorageClass", u.storage_class).Leaf("Initiated", IsoMillis(u.initiated_ms)).Close();
  }
  return XmlResponse(xml.Finish());
}

namespace {

void WriteVersion(XmlOut& xml, const ObjectRecord& v, bool latest, bool url, const std::string& account) {
  xml.Open(v.delete_marker ? "DeleteMarker" : "Version").Leaf("Key", url ? UrlEncode(v.key, true) : v.key);
  xml.Leaf("VersionId", v.version_id).Leaf("IsLatest", latest ? "true" : "false");
  xml.Leaf("LastModified", IsoMillis(v.last_modified_ms));
  if (!v.delete_marker) {
    xml.Leaf("ETag", v.etag).Leaf("Size", v.size).Leaf("StorageClass", v.storage_class);
  }
  xml.Open("Owner").Leaf("ID", CanonicalUserId(account)).Leaf("DisplayName", account).Close();
  xml.Close();
}

// Every version of one key, newest first (the current one first).
StatusOr<std::vector<ObjectRecord>> VersionsOf(store::Txn& txn, const ObjectRecord& current) {
  std::vector<ObjectRecord> out{current};
  std::string after;
  for (;;) {
    ASSIGN_OR_RETURN(auto rows, txn.Scan(kVersionsTable, VersionRowPrefix(current.bucket, current.key), after,
                                         kScanBatch));
    for (const auto& row : rows) {
      ASSIGN_OR_RETURN(ObjectRecord r, DecodeObject(row.value));
      out.push_back(std::move(r));
    }
    if (rows.size() < kScanBatch) return out;
    after = rows.back().key;
  }
}

}  // namespace

StatusOr<S3Reply> ListObjectVersions(S3Service& s3, const S3Request& req) {
  ASSIGN_OR_RETURN(BucketRecord bucket, s3.AuthorizedBucket(req, "s3:ListBucketVersions", false));
  ASSIGN_OR_RETURN(ListInput in, CommonInput(req));
  const std::string key_marker = req.Query("key-marker") ? *req.Query("key-marker") : "";
  const std::string id_marker = req.Query("version-id-marker") ? *req.Query("version-id-marker") : "";
  if (!id_marker.empty() && key_marker.empty()) {
    return InvalidArgument("A version-id marker cannot be specified without a key marker.");
  }
  const bool url = req.Query("encoding-type") != nullptr;
  ASSIGN_OR_RETURN(auto txn, s3.store().BeginRead());
  XmlOut xml("ListVersionsResult");
  xml.Leaf("Name", bucket.name).Leaf("Prefix", url ? UrlEncode(in.prefix, true) : in.prefix);
  xml.Leaf("KeyMarker", key_marker).Leaf("VersionIdMarker", id_marker).Leaf("MaxKeys", in.max);
  if (!in.delimiter.empty()) xml.Leaf("Delimiter", in.delimiter);
  XmlOut entries = XmlOut::Fragment();  // written after IsTruncated and the markers
  std::vector<std::string> prefixes;
  std::size_t count = 0;
  bool truncated = false;
  std::string next_key, next_id, last_prefix;
  // With a version-id marker the marker's own key is resumed; without, it is skipped.
  std::string start = key_marker.empty() ? "" : ObjectRowKey(bucket.name, key_marker);
  // A key marker that is a common prefix resumes after every key under it.
  if (id_marker.empty() && !in.delimiter.empty() && key_marker.ends_with(in.delimiter) &&
      key_marker.find(in.delimiter, in.prefix.size()) == key_marker.size() - in.delimiter.size()) {
    start += "\xff";
  }
  bool resume_in_key = !id_marker.empty();
  for (bool more = true; more && !truncated;) {
    ASSIGN_OR_RETURN(auto rows, txn->Scan(kObjectsTable, bucket.name + "/" + in.prefix, start, kScanBatch));
    more = rows.size() == kScanBatch;
    if (resume_in_key) {
      // Scan is "strictly after": fetch the marker's key itself.
      ASSIGN_OR_RETURN(auto own, txn->Get(kObjectsTable, ObjectRowKey(bucket.name, key_marker)));
      if (own) rows.insert(rows.begin(), store::Entry{ObjectRowKey(bucket.name, key_marker), *own});
    }
    for (const auto& row : rows) {
      start = row.key;
      const std::string key = row.key.substr(bucket.name.size() + 1);
      if (!in.delimiter.empty()) {
        const std::size_t at = key.find(in.delimiter, in.prefix.size());
        if (at != std::string::npos) {
          const std::string common = key.substr(0, at + in.delimiter.size());
          if (common == last_prefix) continue;
          if (count == in.max) {
            truncated = true;
            break;
          }
          prefixes.push_back(common);
          last_prefix = common;
          next_key = common;
          next_id.clear();
          ++count;
          continue;
        }
      }
      ASSIGN_OR_RETURN(ObjectRecord current, DecodeObject(row.value));
      ASSIGN_OR_RETURN(std::vector<ObjectRecord> versions, VersionsOf(*txn, current));
      bool skipping = resume_in_key && key == key_marker;
      for (std::size_t i = 0; i < versions.size(); ++i) {
        if (skipping) {
          if (versions[i].version_id == id_marker) skipping = false;
          continue;
        }
        if (count == in.max) {
          truncated = true;
          break;
        }
        WriteVersion(entries, versions[i], i == 0, url, bucket.account);
        next_key = key;
        next_id = versions[i].version_id;
        ++count;
      }
      if (truncated) break;
    }
    resume_in_key = false;
  }
  xml.Leaf("IsTruncated", truncated ? "true" : "false");
  if (truncated) {
    xml.Leaf("NextKeyMarker", url ? UrlEncode(next_key, true) : next_key);
    if (!next_id.empty()) xml.Leaf("NextVersionIdMarker", next_id);
  }
  if (url) xml.Leaf("EncodingType", "url");
  xml.Raw(entries.Finish());
  WritePrefixes(xml, prefixes, url);
  return XmlResponse(xml.Finish());
}

}  // namespace coffer::s3

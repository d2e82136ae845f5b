// Object operations: put, get, head, delete (one and many), copy, tagging,
// attributes.
#include <pugixml.hpp>

#include "common/encoding.h"
#include "crypto/crypto.h"
#include "s3/body_writer.h"
#include "s3/conditions.h"
#include "s3/encryption.h"
#include "s3/errors.h"
#include "s3/object_body.h"
#include "s3/ops.h"
#include "s3/part_paging.h"
#include "s3/tagging.h"
#include "s3/uri.h"
#include "s3/versions.h"
#include "s3/xml.h"

namespace coffer::s3 {
namespace {

constexpr std::size_t kMaxMetadataBytes = 2048;
constexpr std::uint64_t kMaxCopyBytes = 5ULL << 30;

// Writes the record (replacing the current one), checking the conditional
// write headers inside the same transaction so two writers cannot both win.
class PutObjectSink final : public UploadSink {
 public:
  PutObjectSink(S3Service& s3, S3Request req, ContentHeaders content, Tags tags,
                std::unique_ptr<BodyWriter> body, std::string algorithm, std::optional<SseState> sse)
      : s3_(s3),
        req_(std::move(req)),
        content_(std::move(content)),
        tags_(std::move(tags)),
        body_(std::move(body)),
        algorithm_(std::move(algorithm)),
        sse_(std::move(sse)) {}

  Status Write(std::string_view data) override { return body_->Write(data); }

  StatusOr<S3Reply> Finish(const std::string& trailer_checksum) override {
    ASSIGN_OR_RETURN(WrittenBody written, body_->Commit(trailer_checksum));
    StatusOr<std::string> etag = EtagHexFor(sse_, written.md5_hex, s3_.random());
    if (!etag.ok()) {
      (void)s3_.blobs().Remove(written.blob);
      return etag.status();
    }
    ObjectRecord record;
    record.bucket = req_.bucket;
    record.key = req_.key;
    record.etag = "\"" + *etag + "\"";
    record.sse = sse_;
    record.size = written.size;
    record.last_modified_ms = s3_.NowMs();
    record.content = std::move(content_);
    record.tags = std::move(tags_);
    record.parts = {BlobRef{written.blob, written.size}};
    if (!written.checksum.empty()) {
      record.checksum = written.checksum;
      record.checksum_algorithm = algorithm_;
    }
    bool versioned = false;
    StatusOr<std::vector<BlobRef>> replaced = Commit(record, versioned);
    if (!replaced.ok()) {
      (void)s3_.blobs().Remove(written.blob);
      return replaced.status();
    }
    s3_.RemoveBlobs(*replaced);
    S3Reply reply;
    if (versioned) reply.headers.emplace_back("x-amz-version-id", record.version_id);
    reply.headers.emplace_back("ETag", record.etag);
    AddSseHeaders(record.sse, true, reply);
    if (!record.checksum.empty()) {
      reply.headers.emplace_back(std::string("x-amz-checksum-") + Lower(record.checksum_algorithm),
                                 record.checksum);
      reply.headers.emplace_back("x-amz-checksum-type", "FULL_OBJECT");
    }
    return reply;
  }

 private:
  static std::string Lower(std::string s) {
    for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
  }

  StatusOr<std::vector<BlobRef>> Commit(ObjectRecord& record, bool& out_versioned) {
    ASSIGN_OR_RETURN(auto txn, s3_.store().BeginWrite());
    ASSIGN_OR_RETURN(WrittenObject written, WriteObject(s3_, *txn, req_, record));
    RETURN_IF_ERROR(txn->Commit());
    out_versioned = written.versioned;
    return written.unreferenced;
  }

 private:
  S3Service& s3_;
  S3Request req_;
  ContentHeaders content_;
  Tags tags_;
  std::unique_ptr<BodyWriter> body_;
  std::string algorithm_;  // "CRC32" ...: the client's, or the default CRC64NVME
  std::optional<SseState> sse_;
};

std::string HeaderOf(const S3Reply& reply, std::string_view name) {
  for (const auto& [k, v] : reply.headers) {
    if (k == name) return v;
  }
  return {};
}

// Loads the object for a read, authorized as s3:GetObject.
StatusOr<ObjectRecord> ReadableObject(S3Service& s3, const S3Request& req, std::string_view action,
                                      const std::string* version_id) {
  ASSIGN_OR_RETURN(auto txn, s3.store().BeginRead());
  ASSIGN_OR_RETURN(BucketRecord bucket, s3.AuthorizedBucket(*txn, req, action, true));
  if (version_id != nullptr) {
    ASSIGN_OR_RETURN(std::optional<ObjectRecord> version,
                     LoadVersion(*txn, req.bucket, req.key, *version_id));
    if (!version) return S3Error("NoSuchVersion", "The specified version does not exist.");
    if (version->delete_marker) {
      return S3Error("MethodNotAllowed", "The specified method is not allowed against this resource.");
    }
    return std::move(*version);
  }
  ASSIGN_OR_RETURN(std::optional<ObjectRecord> object, LoadObject(*txn, req.bucket, req.key));
  if (!object || object->delete_marker) return NoSuchKey(req.key);
  return std::move(*object);
}

StatusOr<ObjectRecord> ReadableObject(S3Service& s3, const S3Request& req, std::string_view action) {
  return ReadableObject(s3, req, action, req.Query("versionId"));
}

// The range of the body a GET or HEAD answers with (after partNumber/Range).
struct Slice {
  std::uint64_t offset = 0;
  std::uint64_t length = 0;
  bool partial = false;
  int parts_count = 0;  // set when partNumber was asked
};

bool IsMultipart(const ObjectRecord& o) { return o.etag.find('-') != std::string::npos; }

StatusOr<Slice> SliceFor(const S3Request& req, const ObjectRecord& object) {
  Slice slice{0, object.size, false, 0};
  if (const std::string* part = req.Query("partNumber")) {
    if (req.HasHeader("range"))
      return InvalidRequest("Cannot specify both Range header and partNumber query parameter");
    const int count = IsMultipart(object) ? static_cast<int>(object.parts.size()) : 1;
    int n = 0;
    if (part->empty() || part->size() > 5 || !std::all_of(part->begin(), part->end(), ::isdigit) ||
        (n = std::stoi(*part)) < 1 || n > 10000) {
      return InvalidArgument("Part number must be an integer between 1 and 10000, inclusive");
    }
    if (n > count) return S3Error("InvalidPartNumber", "The requested partnumber is not satisfiable");
    if (IsMultipart(object)) {
      for (int i = 0; i < n - 1; ++i) slice.offset += object.parts[i].size;
      slice.length = object.parts[n - 1].size;
    }
    slice.partial = true;
    slice.parts_count = count;
    return slice;
  }
  const std::string_view range = req.Header("range");
  if (range.empty()) return slice;
  std::optional<ByteRange> parsed = ParseRange(range, object.size);
  if (!parsed) return slice;  // S3 ignores a Range it cannot parse
  if (parsed->unsatisfiable) return S3Error("InvalidRange", "The requested range is not satisfiable");
  return Slice{parsed->first, parsed->last - parsed->first + 1, true, 0};
}

void AddSliceHeaders(const ObjectRecord& object, const Slice& slice, S3Reply& reply) {
  if (!slice.partial) return;
  reply.status = 206;
  reply.headers.emplace_back("Content-Range",
                             "bytes " + std::to_string(slice.offset) + "-" +
                                 std::to_string(slice.offset + slice.length - (slice.length ? 1 : 0)) + "/" +
                                 std::to_string(object.size));
  if (slice.parts_count > 0)
    reply.headers.emplace_back("x-amz-mp-parts-count", std::to_string(slice.parts_count));
}

Status CheckOverrides(const S3Request& req, S3Reply& reply) {
  static constexpr std::pair<std::string_view, std::string_view> kOverrides[] = {
      {"response-content-type", "Content-Type"},
      {"response-content-language", "Content-Language"},
      {"response-expires", "Expires"},
      {"response-cache-control", "Cache-Control"},
      {"response-content-disposition", "Content-Disposition"},
      {"response-content-encoding", "Content-Encoding"}};
  for (const auto& [param, header] : kOverrides) {
    const std::string* value = req.Query(param);
    if (value == nullptr) continue;
    for (auto& h : reply.headers) {
      if (h.first == header) h.second = *value;
    }
    if (std::none_of(reply.headers.begin(), reply.headers.end(),
                     [name = header](const auth::Header& h) { return h.first == name; }))
      reply.headers.emplace_back(std::string(header), *value);
  }
  return Status::Ok();
}

// x-amz-checksum-mode: ENABLED. The whole object's checksum and type, or
// (partNumber of a multipart object with part checksums) the part's.
void AddChecksumHeaders(const S3Request& req, const ObjectRecord& object, const Slice& slice,
                        S3Reply& reply) {
  if (object.checksum.empty()) return;
  std::string name = "x-amz-checksum-";
  for (char c : object.checksum_algorithm)
    name.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  if (!slice.partial) {
    reply.headers.emplace_back(name, object.checksum);
    reply.headers.emplace_back("x-amz-checksum-type",
                               object.checksum_type.empty() ? "FULL_OBJECT" : object.checksum_type);
    return;
  }
  const std::string* part = req.Query("partNumber");
  if (part == nullptr || object.part_checksums.size() != object.parts.size()) return;
  const std::size_t n = std::stoul(*part);  // SliceFor checked it is a part of the object
  reply.headers.emplace_back(name, object.part_checksums[n - 1]);
}

// The checksum a copy gets: the algorithm x-amz-checksum-algorithm names,
// else the source's when it is a whole-object one (the same bytes give the
// same value), else S3's default CRC64NVME (a source with a COMPOSITE
// checksum or none). A copy is one part, so the type is FULL_OBJECT.
StatusOr<crypto::ChecksumAlgorithm> CopyChecksumAlgorithm(const S3Request& req, const ObjectRecord& from) {
  if (std::string_view asked = req.Header("x-amz-checksum-algorithm"); !asked.empty()) {
    std::optional<crypto::ChecksumAlgorithm> alg = crypto::ChecksumAlgorithmFromName(asked);
    if (!alg) return InvalidRequest("Checksum algorithm provided is unsupported.");
    return *alg;
  }
  if (!from.checksum.empty() && from.checksum_type != "COMPOSITE") {
    if (auto alg = crypto::ChecksumAlgorithmFromName(from.checksum_algorithm)) return *alg;
  }
  return crypto::ChecksumAlgorithm::kCrc64Nvme;
}

StatusOr<S3Reply> ObjectReply(S3Service& s3, const S3Request& req, bool with_body) {
  ASSIGN_OR_RETURN(ObjectRecord object, ReadableObject(s3, req, "s3:GetObject"));
  ASSIGN_OR_RETURN(std::optional<CustomerKey> presented, CustomerKeyOf(req, kCustomerKeyHeaders));
  RETURN_IF_ERROR(ObjectSealer::CheckPresentedKey(object.sse, presented));
  ASSIGN_OR_RETURN(ReadVerdict verdict, CheckReadConditions(req, object));
  S3Reply reply;
  if (verdict == ReadVerdict::kNotModified) {
    reply.status = 304;
    reply.headers.emplace_back("ETag", object.etag);
    reply.headers.emplace_back("Last-Modified", HttpDate(object.last_modified_ms));
    return reply;
  }
  ASSIGN_OR_RETURN(Slice slice, SliceFor(req, object));
  AddObjectHeaders(object, reply);
  AddSliceHeaders(object, slice, reply);
  if (req.Header("x-amz-checksum-mode") == "ENABLED") AddChecksumHeaders(req, object, slice, reply);
  RETURN_IF_ERROR(CheckOverrides(req, reply));
  reply.content_length = slice.length;
  if (with_body) {
    ASSIGN_OR_RETURN(ObjectKeys keys, s3.sealer().Unseal(req, object.sse, presented));
    ASSIGN_OR_RETURN(auto body,
                     ObjectBody::Open(s3.blobs(), object.parts, std::move(keys), slice.offset, slice.length));
    reply.stream = std::move(body);
  }
  return reply;
}

}  // namespace

StatusOr<WrittenObject> WriteObject(S3Service& s3, store::Txn& txn, const S3Request& req,
                                    ObjectRecord& record) {
  ASSIGN_OR_RETURN(std::optional<BucketRecord> bucket, LoadBucket(txn, req.bucket));
  if (!bucket) return NoSuchBucket(req.bucket);
  ASSIGN_OR_RETURN(std::optional<ObjectRecord> existing, LoadObject(txn, req.bucket, req.key));
  if (existing && existing->delete_marker) existing.reset();
  RETURN_IF_ERROR(CheckWriteConditions(req, existing ? &*existing : nullptr));
  WrittenObject out;
  ASSIGN_OR_RETURN(out.unreferenced, InstallVersion(s3, txn, *bucket, record));
  out.versioned = Versioned(*bucket);
  return out;
}

StatusOr<ContentHeaders> ContentHeadersOf(const S3Request& req) {
  ContentHeaders c;
  c.content_type = std::string(req.Header("content-type"));
  if (c.content_type.empty()) c.content_type = "binary/octet-stream";
  c.content_encoding = std::string(req.Header("content-encoding"));
  // aws-chunked is transfer framing, not the object's encoding.
  if (c.content_encoding == "aws-chunked") c.content_encoding.clear();
  if (c.content_encoding.starts_with("aws-chunked,")) c.content_encoding = c.content_encoding.substr(12);
  c.content_disposition = std::string(req.Header("content-disposition"));
  c.content_language = std::string(req.Header("content-language"));
  c.cache_control = std::string(req.Header("cache-control"));
  c.expires = std::string(req.Header("expires"));
  std::size_t bytes = 0;
  for (const auto& [name, value] : req.headers) {
    if (name.size() <= 11) continue;
    std::string lower = name;
    for (char& ch : lower) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    if (!lower.starts_with("x-amz-meta-")) continue;
    std::string key = lower.substr(11);
    bytes += key.size() + value.size();
    c.metadata[key] = value;
  }
  if (bytes > kMaxMetadataBytes) {
    return S3Error("MetadataTooLarge", "Your metadata headers exceed the maximum allowed metadata size.");
  }
  return c;
}

void AddObjectHeaders(const ObjectRecord& object, S3Reply& reply) {
  auto add = [&reply](std::string_view name, const std::string& value) {
    if (!value.empty()) reply.headers.emplace_back(std::string(name), value);
  };
  add("Content-Type", object.content.content_type);
  add("Content-Encoding", object.content.content_encoding);
  add("Content-Disposition", object.content.content_disposition);
  add("Content-Language", object.content.content_language);
  add("Cache-Control", object.content.cache_control);
  add("Expires", object.content.expires);
  add("ETag", object.etag);
  add("Last-Modified", HttpDate(object.last_modified_ms));
  reply.headers.emplace_back("Accept-Ranges", "bytes");
  if (object.version_id != "null") reply.headers.emplace_back("x-amz-version-id", object.version_id);
  AddSseHeaders(object.sse, false, reply);
  for (const auto& [k, v] : object.content.metadata) reply.headers.emplace_back("x-amz-meta-" + k, v);
  if (!object.tags.empty())
    reply.headers.emplace_back("x-amz-tagging-count", std::to_string(object.tags.size()));
}

Status ValidateKey(std::string_view key) {
  if (key.size() > 1024) return S3Error("KeyTooLongError", "Your key is too long");
  return Status::Ok();
}

S3Reply XmlResponse(std::string body) {
  S3Reply reply;
  reply.headers.emplace_back("Content-Type", "application/xml");
  reply.body = std::move(body);
  return reply;
}

StatusOr<std::unique_ptr<UploadSink>> PutObject(S3Service& s3, const S3Request& req) {
  RETURN_IF_ERROR(ValidateKey(req.key));
  RETURN_IF_ERROR(CheckConditionalWriteHeaders(req));
  ASSIGN_OR_RETURN(BucketRecord bucket, s3.AuthorizedBucket(req, "s3:PutObject", true));
  ASSIGN_OR_RETURN(SseChoice choice, SseChoiceOf(req, bucket));
  ASSIGN_OR_RETURN(ContentHeaders content, ContentHeadersOf(req));
  ASSIGN_OR_RETURN(Tags tags, ParseTaggingHeader(req.Header("x-amz-tagging"), kMaxObjectTags));
  ASSIGN_OR_RETURN(BodyClaims claims, BodyClaimsOf(req));
  UseDefaultChecksum(claims);
  const std::string algorithm(crypto::ChecksumName(*claims.algorithm));
  ASSIGN_OR_RETURN(Sealing sealing,
                   s3.sealer().Seal(req, choice, BucketArn(req.bucket), ObjectArn(req.bucket, req.key)));
  ASSIGN_OR_RETURN(auto body, BodyWriter::Start(s3.blobs(), std::move(claims), sealing.keys.view()));
  return std::unique_ptr<UploadSink>(std::make_unique<PutObjectSink>(
      s3, req, std::move(content), std::move(tags), std::move(body), algorithm, std::move(sealing.state)));
}

StatusOr<S3Reply> GetObject(S3Service& s3, const S3Request& req) { return ObjectReply(s3, req, true); }

StatusOr<S3Reply> HeadObject(S3Service& s3, const S3Request& req) { return ObjectReply(s3, req, false); }

StatusOr<S3Reply> DeleteObject(S3Service& s3, const S3Request& req) {
  const std::string* version_id = req.Query("versionId");
  RETURN_IF_ERROR(
      s3.AuthorizedBucket(req, version_id ? "s3:DeleteObjectVersion" : "s3:DeleteObject", true).status());
  DeleteOutcome outcome;
  {
    ASSIGN_OR_RETURN(auto txn, s3.store().BeginWrite());
    ASSIGN_OR_RETURN(std::optional<BucketRecord> bucket, LoadBucket(*txn, req.bucket));
    if (!bucket) return NoSuchBucket(req.bucket);
    ASSIGN_OR_RETURN(outcome, DeleteVersion(s3, *txn, *bucket, req.key, version_id));
    RETURN_IF_ERROR(txn->Commit());
  }
  s3.RemoveBlobs(outcome.unreferenced);
  S3Reply reply;
  reply.status = 204;
  if (!outcome.version_id.empty()) reply.headers.emplace_back("x-amz-version-id", outcome.version_id);
  if (outcome.delete_marker) reply.headers.emplace_back("x-amz-delete-marker", "true");
  return reply;
}

StatusOr<S3Reply> DeleteObjects(S3Service& s3, const S3Request& req) {
  if (!req.HasHeader("content-md5") &&
      std::none_of(
          req.headers.begin(), req.headers.end(),
          [](const auth::Header& h) { return crypto::ChecksumAlgorithmFromHeader(h.first).has_value(); }) &&
      !req.HasHeader("x-amz-sdk-checksum-algorithm")) {
    return InvalidRequest("Missing required header for this request: Content-MD5");
  }
  {
    ASSIGN_OR_RETURN(auto txn, s3.store().BeginRead());
    ASSIGN_OR_RETURN(std::optional<BucketRecord> bucket, LoadBucket(*txn, req.bucket));
    if (!bucket) return NoSuchBucket(req.bucket);
  }
  ASSIGN_OR_RETURN(XmlDoc doc, XmlDoc::Parse(req.body));
  ASSIGN_OR_RETURN(pugi::xml_node root, doc.Root("Delete"));
  const bool quiet = ChildText(root, "Quiet") == "true";
  const auto objects = Children(root, "Object");
  if (objects.empty() || objects.size() > 1000) return MalformedXml();
  XmlOut xml("DeleteResult");
  for (const auto& node : objects) {
    if (!HasChild(node, "Key")) return MalformedXml();
    S3Request one = req;
    one.key = ChildText(node, "Key");
    one.query.erase("versionId");
    const std::string version = ChildText(node, "VersionId");
    if (HasChild(node, "VersionId")) one.query["versionId"] = version;
    StatusOr<S3Reply> done = DeleteObject(s3, one);
    if (done.ok()) {
      if (quiet) continue;
      xml.Open("Deleted").Leaf("Key", one.key);
      if (HasChild(node, "VersionId")) xml.Leaf("VersionId", version);
      if (HeaderOf(*done, "x-amz-delete-marker") == "true") {
        xml.Leaf("DeleteMarker", "true");
        if (!HasChild(node, "VersionId"))
          xml.Leaf("DeleteMarkerVersionId", HeaderOf(*done, "x-amz-version-id"));
      }
      xml.Close();
      continue;
    }
    const S3ErrorInfo info = S3ErrorFor(done.status());
    xml.Open("Error")
        .Leaf("Key", one.key)
        .Leaf("Code", info.code)
        .Leaf("Message", done.status().message())
        .Close();
  }
  return XmlResponse(xml.Finish());
}

StatusOr<S3Reply> CopyObject(S3Service& s3, const S3Request& req) {
  RETURN_IF_ERROR(ValidateKey(req.key));
  ASSIGN_OR_RETURN(CopySource source, ParseCopySource(req.Header("x-amz-copy-source")));
  S3Request read = req;
  read.bucket = source.bucket;
  read.key = source.key;
  ASSIGN_OR_RETURN(ObjectRecord from, ReadableObject(s3, read, "s3:GetObject",
                                                     source.version_id ? &*source.version_id : nullptr));
  RETURN_IF_ERROR(CheckCopySourceConditions(req, from));
  if (from.size > kMaxCopyBytes) {
    return InvalidRequest(
        "The specified copy source is larger than the maximum allowable size for a copy source: "
        "5368709120");
  }
  ASSIGN_OR_RETURN(std::optional<CustomerKey> source_key, CustomerKeyOf(req, kCopySourceCustomerKeyHeaders));
  RETURN_IF_ERROR(ObjectSealer::CheckPresentedKey(from.sse, source_key));
  ASSIGN_OR_RETURN(BucketRecord bucket, s3.AuthorizedBucket(req, "s3:PutObject", true));
  ASSIGN_OR_RETURN(SseChoice choice, SseChoiceOf(req, bucket));
  const std::string_view directive = req.Header("x-amz-metadata-directive");
  if (!directive.empty() && directive != "COPY" && directive != "REPLACE") {
    return InvalidArgument("Unknown metadata directive.");
  }
  const bool replace = directive == "REPLACE";
  ASSIGN_OR_RETURN(crypto::ChecksumAlgorithm checksum_alg, CopyChecksumAlgorithm(req, from));
  const std::string_view tag_directive = req.Header("x-amz-tagging-directive");
  // Copying an older version onto its key is how S3 restores it: allowed.
  if (source.bucket == req.bucket && source.key == req.key && !source.version_id && !replace &&
      !req.HasHeader("x-amz-storage-class") && !HasSseHeaders(req) &&
      choice.mode == (from.sse ? from.sse->mode : "AES256")) {
    return InvalidRequest(
        "This copy request is illegal because it is trying to copy an object to itself without "
        "changing the object's metadata, storage class, website redirect location or encryption "
        "attributes.");
  }
  ObjectRecord record = from;
  record.bucket = req.bucket;
  record.key = req.key;
  if (replace) {
    ASSIGN_OR_RETURN(record.content, ContentHeadersOf(req));
  }
  if (tag_directive == "REPLACE") {
    ASSIGN_OR_RETURN(record.tags, ParseTaggingHeader(req.Header("x-amz-tagging"), kMaxObjectTags));
  }
  ASSIGN_OR_RETURN(ObjectKeys source_keys, s3.sealer().Unseal(read, from.sse, source_key));
  ASSIGN_OR_RETURN(Sealing sealing,
                   s3.sealer().Seal(req, choice, BucketArn(req.bucket), ObjectArn(req.bucket, req.key)));
  ASSIGN_OR_RETURN(auto body, ObjectBody::Open(s3.blobs(), from.parts, std::move(source_keys), 0, from.size));
  std::unique_ptr<crypto::Checksum> sum = crypto::Checksum::New(checksum_alg);
  SummingSource summing(*body, *sum);
  ASSIGN_OR_RETURN(CopiedBody copied, CopyToNewBlob(s3.blobs(), summing, sealing.keys.view()));
  record.checksum = sum->FinishBase64();
  record.checksum_algorithm = std::string(crypto::ChecksumName(checksum_alg));
  record.checksum_type = "FULL_OBJECT";
  record.part_checksums.clear();
  record.sse = std::move(sealing.state);
  record.parts = {BlobRef{copied.blob, copied.size}};
  StatusOr<std::string> etag = EtagHexFor(record.sse, copied.md5_hex, s3.random());
  if (!etag.ok()) {
    (void)s3.blobs().Remove(copied.blob);
    return etag.status();
  }
  record.etag = "\"" + *etag + "\"";
  record.last_modified_ms = s3.NowMs();
  StatusOr<WrittenObject> written = [&]() -> StatusOr<WrittenObject> {
    ASSIGN_OR_RETURN(auto txn, s3.store().BeginWrite());
    ASSIGN_OR_RETURN(WrittenObject w, WriteObject(s3, *txn, req, record));
    RETURN_IF_ERROR(txn->Commit());
    return w;
  }();
  if (!written.ok()) {
    (void)s3.blobs().Remove(copied.blob);
    return written.status();
  }
  s3.RemoveBlobs(written->unreferenced);
  XmlOut xml("CopyObjectResult");
  xml.Leaf("ETag", record.etag).Leaf("LastModified", IsoMillis(record.last_modified_ms));
  xml.Leaf("ChecksumType", record.checksum_type)
      .Leaf("Checksum" + record.checksum_algorithm, record.checksum);
  S3Reply reply = XmlResponse(xml.Finish());
  AddSseHeaders(record.sse, true, reply);
  if (from.version_id != "null") reply.headers.emplace_back("x-amz-copy-source-version-id", from.version_id);
  if (written->versioned) reply.headers.emplace_back("x-amz-version-id", record.version_id);
  return reply;
}

StatusOr<S3Reply> PutObjectTagging(S3Service& s3, const S3Request& req) {
  RETURN_IF_ERROR(s3.AuthorizedBucket(req, "s3:PutObjectTagging", true).status());
  ASSIGN_OR_RETURN(Tags tags, ParseTaggingXml(req.body, kMaxObjectTags));
  ASSIGN_OR_RETURN(auto txn, s3.store().BeginWrite());
  ASSIGN_OR_RETURN(std::optional<ObjectRecord> object, LoadObject(*txn, req.bucket, req.key));
  if (!object || object->delete_marker) return NoSuchKey(req.key);
  object->tags = std::move(tags);
  RETURN_IF_ERROR(txn->Put(kObjectsTable, ObjectRowKey(req.bucket, req.key), EncodeObject(*object)));
  RETURN_IF_ERROR(txn->Commit());
  return S3Reply{};
}

StatusOr<S3Reply> GetObjectTagging(S3Service& s3, const S3Request& req) {
  ASSIGN_OR_RETURN(ObjectRecord object, ReadableObject(s3, req, "s3:GetObjectTagging"));
  return XmlResponse(TaggingXml(object.tags));
}

StatusOr<S3Reply> DeleteObjectTagging(S3Service& s3, const S3Request& req) {
  RETURN_IF_ERROR(s3.AuthorizedBucket(req, "s3:DeleteObjectTagging", true).status());
  ASSIGN_OR_RETURN(auto txn, s3.store().BeginWrite());
  ASSIGN_OR_RETURN(std::optional<ObjectRecord> object, LoadObject(*txn, req.bucket, req.key));
  if (!object || object->delete_marker) return NoSuchKey(req.key);
  object->tags.clear();
  RETURN_IF_ERROR(txn->Put(kObjectsTable, ObjectRowKey(req.bucket, req.key), EncodeObject(*object)));
  RETURN_IF_ERROR(txn->Commit());
  S3Reply reply;
  reply.status = 204;
  return reply;
}

namespace {

std::optional<std::string_view> OptionalHeader(const S3Request& req, std::string_view name) {
  if (!req.HasHeader(name)) return std::nullopt;
  return req.Header(name);
}

// ObjectParts: the count and, when the parts have checksums (an upload with
// a checksum algorithm, or S3's default), a page of the parts with their
// sizes and checksums. Without part checksums S3 lists no parts.
void AddObjectParts(const ObjectRecord& object, const PartsPaging& paging, XmlOut& xml) {
  xml.Open("ObjectParts").Leaf("PartsCount", object.parts.size());
  if (object.part_checksums.size() == object.parts.size()) {
    const PartsPage page = PageOfParts(object.parts.size(), paging);
    xml.Leaf("PartNumberMarker", paging.marker);
    if (page.count > 0) xml.Leaf("NextPartNumberMarker", static_cast<std::uint64_t>(page.first + page.count));
    xml.Leaf("MaxParts", paging.max_parts).Leaf("IsTruncated", page.truncated ? "true" : "false");
    for (std::size_t i = page.first; i < page.first + page.count; ++i) {
      xml.Open("Part")
          .Leaf("PartNumber", static_cast<std::uint64_t>(i + 1))
          .Leaf("Size", object.parts[i].size);
      xml.Leaf("Checksum" + object.checksum_algorithm, object.part_checksums[i]).Close();
    }
  }
  xml.Close();
}

}  // namespace

StatusOr<S3Reply> GetObjectAttributes(S3Service& s3, const S3Request& req) {
  const std::string_view wanted = req.Header("x-amz-object-attributes");
  if (wanted.empty()) return InvalidArgument("Invalid attribute name specified.");
  ASSIGN_OR_RETURN(PartsPaging paging, PartsPagingOf(OptionalHeader(req, "x-amz-max-parts"),
                                                     OptionalHeader(req, "x-amz-part-number-marker")));
  ASSIGN_OR_RETURN(ObjectRecord object, ReadableObject(s3, req, "s3:GetObjectAttributes"));
  auto asked = [&wanted](std::string_view name) { return wanted.find(name) != std::string_view::npos; };
  XmlOut xml("GetObjectAttributesResponse");
  if (asked("ETag")) xml.Leaf("ETag", object.etag.substr(1, object.etag.size() - 2));
  if (asked("Checksum") && !object.checksum.empty()) {
    xml.Open("Checksum").Leaf("Checksum" + object.checksum_algorithm, object.checksum);
    xml.Leaf("ChecksumType", object.checksum_type.empty() ? "FULL_OBJECT" : object.checksum_type).Close();
  }
  if (asked("ObjectParts") && IsMultipart(object)) AddObjectParts(object, paging, xml);
  if (asked("StorageClass")) xml.Leaf("StorageClass", object.storage_class);
  if (asked("ObjectSize")) xml.Leaf("ObjectSize", object.size);
  S3Reply reply = XmlResponse(xml.Finish());
  reply.headers.emplace_back("Last-Modified", HttpDate(object.last_modified_ms));
  return reply;
}

}  // namespace coffer::s3

// Multipart uploads: create, upload part (from the body or copied from an
// object), complete, abort, list parts. Each part is its own blob; completing
// an upload writes an object record that lists the chosen parts' blobs in
// order, so no byte is copied.
#include <charconv>
#include <pugixml.hpp>
#include <set>

#include "common/encoding.h"
#include "s3/body_writer.h"
#include "s3/checksum_combine.h"
#include "s3/conditions.h"
#include "s3/encryption.h"
#include "s3/errors.h"
#include "s3/object_body.h"
#include "s3/ops.h"
#include "s3/part_paging.h"
#include "s3/tagging.h"
#include "s3/versions.h"
#include "s3/xml.h"

namespace coffer::s3 {
namespace {

constexpr std::uint64_t kMinPartBytes = 5ULL << 20;
constexpr int kMaxPartNumber = 10000;
constexpr std::uint64_t kMaxCopyPartBytes = 5ULL << 30;

StatusOr<int> PartNumberOf(const S3Request& req) {
  const std::string* text = req.Query("partNumber");
  const Status invalid = InvalidArgument("Part number must be an integer between 1 and 10000, inclusive");
  if (text == nullptr || text->empty() || text->size() > 5 ||
      !std::all_of(text->begin(), text->end(), ::isdigit)) {
    return invalid;
  }
  const int n = std::stoi(*text);
  if (n < 1 || n > kMaxPartNumber) return invalid;
  return n;
}

StatusOr<UploadRecord> ExistingUpload(store::Txn& txn, const S3Request& req) {
  const std::string* id = req.Query("uploadId");
  if (id == nullptr || id->empty()) return NoSuchUpload("");
  ASSIGN_OR_RETURN(std::optional<UploadRecord> upload, LoadUpload(txn, req.bucket, *id));
  if (!upload || upload->key != req.key) return NoSuchUpload(*id);
  return std::move(*upload);
}

StatusOr<std::vector<PartRecord>> PartsOf(store::Txn& txn, std::string_view bucket,
                                          std::string_view upload_id) {
  ASSIGN_OR_RETURN(auto rows, txn.Scan(kPartsTable, UploadRowKey(bucket, upload_id) + "/", "", kAllRows));
  std::vector<PartRecord> parts;
  parts.reserve(rows.size());
  for (const auto& row : rows) {
    ASSIGN_OR_RETURN(PartRecord p, DecodePart(row.value));
    parts.push_back(std::move(p));
  }
  return parts;
}

std::string NewUploadId(RandomSource& random) {
  std::uint8_t raw[30] = {};
  if (!random.Fill(raw).ok()) return {};
  std::string id = Base64Encode(ByteView(raw, sizeof(raw)));
  for (char& c : id) {
    if (c == '+') c = '-';
    if (c == '/') c = '_';
  }
  return id;
}

// Writes `part` under the request's upload (which must still exist) and
// returns the part it replaced, if one had its number.
StatusOr<std::optional<PartRecord>> RecordPart(S3Service& s3, const S3Request& req, const PartRecord& part) {
  ASSIGN_OR_RETURN(auto txn, s3.store().BeginWrite());
  ASSIGN_OR_RETURN(UploadRecord upload, ExistingUpload(*txn, req));
  const std::string row = PartRowKey(UploadRowKey(req.bucket, upload.upload_id), part.number);
  ASSIGN_OR_RETURN(auto old, txn->Get(kPartsTable, row));
  std::optional<PartRecord> replaced;
  if (old) {
    ASSIGN_OR_RETURN(replaced, DecodePart(*old));
  }
  RETURN_IF_ERROR(txn->Put(kPartsTable, row, EncodePart(part)));
  RETURN_IF_ERROR(txn->Commit());
  return replaced;
}

// Makes a part whose blob is already committed visible (UploadPart,
// UploadPartCopy). The blob of a part it replaces is removed; on failure
// (the upload was completed or aborted meanwhile) the new blob is.
Status CommitPart(S3Service& s3, const S3Request& req, const PartRecord& part) {
  StatusOr<std::optional<PartRecord>> replaced = RecordPart(s3, req, part);
  if (!replaced.ok()) {
    (void)s3.blobs().Remove(part.blob);
    return replaced.status();
  }
  if (*replaced) (void)s3.blobs().Remove((*replaced)->blob);
  return Status::Ok();
}

// The part keeps the checksum of its upload's algorithm or, for an upload
// created without one, the default CRC64NVME; the reply echoes the checksum
// the client chose (or the default it got).
class UploadPartSink final : public UploadSink {
 public:
  UploadPartSink(S3Service& s3, S3Request req, int number, std::unique_ptr<BodyWriter> body,
                 bool by_upload_algorithm, std::string checksum_header, std::optional<SseState> sse)
      : s3_(s3),
        req_(std::move(req)),
        number_(number),
        body_(std::move(body)),
        by_upload_algorithm_(by_upload_algorithm),
        checksum_header_(std::move(checksum_header)),
        sse_(std::move(sse)) {}

  Status Write(std::string_view data) override { return body_->Write(data); }

  StatusOr<S3Reply> Finish(const std::string& trailer_checksum) override {
    ASSIGN_OR_RETURN(WrittenBody written, body_->Commit(trailer_checksum));
    StatusOr<std::string> etag = EtagHexFor(sse_, written.md5_hex, s3_.random());
    if (!etag.ok()) {
      (void)s3_.blobs().Remove(written.blob);
      return etag.status();
    }
    PartRecord part{number_,      written.blob,
                    written.size, "\"" + *etag + "\"",
                    s3_.NowMs(),  by_upload_algorithm_ ? written.checksum : written.crc64nvme};
    RETURN_IF_ERROR(CommitPart(s3_, req_, part));
    S3Reply reply;
    reply.headers.emplace_back("ETag", part.etag);
    AddSseHeaders(sse_, false, reply);
    if (!checksum_header_.empty()) reply.headers.emplace_back(checksum_header_, written.checksum);
    return reply;
  }

 private:
  S3Service& s3_;
  S3Request req_;
  int number_;
  std::unique_ptr<BodyWriter> body_;
  bool by_upload_algorithm_;
  std::string checksum_header_;  // empty when no checksum is in play
  std::optional<SseState> sse_;
};

// The bytes of the source an UploadPartCopy takes.
struct CopySpan {
  std::uint64_t offset = 0;
  std::uint64_t length = 0;
};

bool ParseOffset(std::string_view text, std::uint64_t& out) {
  if (text.empty() || text.size() > 19) return false;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && end == text.data() + text.size();
}

// x-amz-copy-source-range: "bytes=first-last", both inclusive and inside the
// source (unlike Range on GET, no suffix or open-ended form, no clamping).
// Absent: the whole source.
StatusOr<CopySpan> CopySpanOf(std::string_view header, std::uint64_t size) {
  if (header.empty()) return CopySpan{0, size};
  const std::size_t dash = header.find('-');
  std::uint64_t first = 0;
  std::uint64_t last = 0;
  if (!header.starts_with("bytes=") || dash == std::string_view::npos ||
      !ParseOffset(header.substr(6, dash - 6), first) || !ParseOffset(header.substr(dash + 1), last)) {
    return InvalidArgument(
        "The x-amz-copy-source-range value must be of the form bytes=first-last where first and last are "
        "the zero-based offsets of the first and last bytes to copy");
  }
  if (first > last || last >= size) {
    return InvalidArgument("Range specified is not valid for source object of size: " + std::to_string(size));
  }
  return CopySpan{first, last - first + 1};
}

// The copy source (its current version, or the one "?versionId=" names),
// readable by the caller (s3:GetObject). A delete marker has no bytes.
StatusOr<ObjectRecord> CopySourceObject(S3Service& s3, const S3Request& req, const CopySource& source) {
  S3Request read = req;
  read.bucket = source.bucket;
  read.key = source.key;
  RETURN_IF_ERROR(s3.AuthorizedBucket(read, "s3:GetObject", true).status());
  ASSIGN_OR_RETURN(auto txn, s3.store().BeginRead());
  if (source.version_id) {
    ASSIGN_OR_RETURN(std::optional<ObjectRecord> version,
                     LoadVersion(*txn, source.bucket, source.key, *source.version_id));
    if (!version) return S3Error("NoSuchVersion", "The specified version does not exist.");
    if (version->delete_marker) {
      return InvalidRequest(
          "The source of a copy request may not specifically refer to a delete marker by version id.");
    }
    return std::move(*version);
  }
  ASSIGN_OR_RETURN(std::optional<ObjectRecord> object, LoadObject(*txn, source.bucket, source.key));
  if (!object || object->delete_marker) return NoSuchKey(source.key);
  return std::move(*object);
}

struct ChosenPart {
  int number;
  std::string etag;
  std::map<std::string, std::string, std::less<>> checksums;  // "ChecksumCRC32" -> base64
};

constexpr std::string_view kChecksumMembers[] = {"ChecksumCRC32", "ChecksumCRC32C", "ChecksumCRC64NVME",
                                                 "ChecksumSHA1", "ChecksumSHA256"};

StatusOr<std::vector<ChosenPart>> ParseCompletion(std::string_view body) {
  ASSIGN_OR_RETURN(XmlDoc doc, XmlDoc::Parse(body));
  ASSIGN_OR_RETURN(pugi::xml_node root, doc.Root("CompleteMultipartUpload"));
  std::vector<ChosenPart> chosen;
  for (const auto& node : Children(root, "Part")) {
    const std::string number = ChildText(node, "PartNumber");
    if (number.empty() || number.size() > 5 || !std::all_of(number.begin(), number.end(), ::isdigit)) {
      return MalformedXml();
    }
    ChosenPart part{std::stoi(number), ChildText(node, "ETag"), {}};
    for (std::string_view member : kChecksumMembers) {
      if (std::string value = ChildText(node, member); !value.empty())
        part.checksums.emplace(member, std::move(value));
    }
    chosen.push_back(std::move(part));
  }
  if (chosen.empty()) return InvalidRequest("You must specify at least one part");
  for (std::size_t i = 1; i < chosen.size(); ++i) {
    if (chosen[i].number <= chosen[i - 1].number) {
      return S3Error("InvalidPartOrder",
                     "The list of parts was not in ascending order. Parts must be ordered by part number.");
    }
  }
  return chosen;
}

// The keys a part of `upload` is sealed with. Under SSE-C every part must
// present the key the upload was created with.
StatusOr<ObjectKeys> PartKeys(S3Service& s3, const S3Request& req, const UploadRecord& upload) {
  ASSIGN_OR_RETURN(std::optional<CustomerKey> presented, CustomerKeyOf(req, kCustomerKeyHeaders));
  const bool customer = upload.sse && upload.sse->mode == kSseC;
  if (customer && !presented) {
    return InvalidRequest(
        "The multipart upload initiate requested encryption. Subsequent part requests must include the "
        "appropriate encryption parameters.");
  }
  if (!customer && presented) {
    return InvalidRequest(
        "The multipart upload initiate did not request encryption. Subsequent part requests must not "
        "include encryption parameters.");
  }
  StatusOr<ObjectKeys> keys = s3.sealer().Unseal(req, upload.sse, presented);
  if (customer && !keys.ok() && S3ErrorFor(keys.status()).code == "AccessDenied") {
    return InvalidRequest("The provided encryption parameters did not match the ones used originally.");
  }
  return keys;
}

StatusOr<UploadRecord> ReadUpload(S3Service& s3, const S3Request& req) {
  ASSIGN_OR_RETURN(auto txn, s3.store().BeginRead());
  return ExistingUpload(*txn, req);
}

std::string LowerName(std::string_view upper) {
  std::string out(upper);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// x-amz-checksum-algorithm and x-amz-checksum-type of CreateMultipartUpload.
Status ChooseUploadChecksum(const S3Request& req, UploadRecord& out_upload) {
  const std::string_view alg = req.Header("x-amz-checksum-algorithm");
  const std::string_view type_name = req.Header("x-amz-checksum-type");
  if (alg.empty()) {
    if (type_name.empty()) return Status::Ok();
    return InvalidRequest(
        "The x-amz-checksum-type header can only be used with the x-amz-checksum-algorithm header.");
  }
  std::optional<crypto::ChecksumAlgorithm> known = crypto::ChecksumAlgorithmFromName(alg);
  if (!known) return InvalidRequest("Checksum algorithm provided is unsupported.");
  std::optional<ChecksumType> type =
      type_name.empty() ? DefaultChecksumType(*known) : ChecksumTypeFromName(type_name);
  if (!type) return InvalidRequest("Value for x-amz-checksum-type header is invalid.");
  const std::string name(crypto::ChecksumName(*known));
  if (!ChecksumTypeAllowed(*known, *type)) {
    return InvalidRequest("The " + std::string(ChecksumTypeName(*type)) +
                          " checksum type cannot be used with the " + LowerName(name) +
                          " checksum algorithm.");
  }
  out_upload.checksum_algorithm = name;
  out_upload.checksum_type = std::string(ChecksumTypeName(*type));
  return Status::Ok();
}

// An upload created without a checksum algorithm gets S3's default: each
// part a CRC64NVME, the object their FULL_OBJECT combination. Not under
// SSE-C, where S3 leaves multipart objects without one (PutObject still
// gets it).
bool TakesDefaultChecksum(const UploadRecord& upload) {
  return upload.checksum_algorithm.empty() && !(upload.sse && upload.sse->mode == kSseC);
}

// A part of an upload with a checksum algorithm is summed with it: a
// checksum the client names must be of that algorithm; none, S3 computes it.
// A part of an upload without one is summed with what the client chose,
// and with CRC64NVME for the default.
Status MatchPartChecksum(const UploadRecord& upload, BodyClaims& claims) {
  if (upload.checksum_algorithm.empty()) {
    if (TakesDefaultChecksum(upload)) {
      UseDefaultChecksum(claims);
      claims.also_crc64nvme = true;
    }
    return Status::Ok();
  }
  const std::optional<crypto::ChecksumAlgorithm> expected =
      crypto::ChecksumAlgorithmFromName(upload.checksum_algorithm);
  if (!expected) return InternalError("corrupt upload checksum algorithm");
  if (claims.algorithm && *claims.algorithm != *expected) {
    return InvalidRequest(
        "Checksum Type mismatch occurred, expected checksum Type: " + LowerName(upload.checksum_algorithm) +
        ", actual checksum Type: " + LowerName(crypto::ChecksumName(*claims.algorithm)));
  }
  claims.algorithm = expected;
  return Status::Ok();
}

Status InvalidPart() {
  return S3Error(
      "InvalidPart",
      "One or more of the specified parts could not be found.  The part may not have been uploaded, or "
      "the specified entity tag may not match the part's entity tag.");
}

// A part checksum the completion names must be the stored one; a COMPOSITE
// upload must name every one.
Status CheckChosenChecksum(const UploadRecord& upload, const ChosenPart& chosen, const PartRecord& part) {
  if (upload.checksum_algorithm.empty()) return Status::Ok();
  const auto it = chosen.checksums.find("Checksum" + upload.checksum_algorithm);
  if (it != chosen.checksums.end()) return it->second == part.checksum ? Status::Ok() : InvalidPart();
  if (upload.checksum_type != ChecksumTypeName(ChecksumType::kComposite)) return Status::Ok();
  return InvalidRequest("The upload was created using a " + LowerName(upload.checksum_algorithm) +
                        " checksum. The complete request must include the checksum for each part. It was "
                        "missing for part " +
                        std::to_string(chosen.number) + " in the request.");
}

struct UploadChecksum {
  crypto::ChecksumAlgorithm algorithm;
  ChecksumType type;
  bool by_default = false;  // S3's CRC64NVME, not the upload's choice
};

// How the object's checksum is made: the upload's algorithm and type, the
// default, or (nullopt) not at all.
StatusOr<std::optional<UploadChecksum>> ChecksumOfUpload(const UploadRecord& upload) {
  if (upload.checksum_algorithm.empty()) {
    if (!TakesDefaultChecksum(upload)) return std::optional<UploadChecksum>();
    return std::optional<UploadChecksum>(
        UploadChecksum{crypto::ChecksumAlgorithm::kCrc64Nvme, ChecksumType::kFullObject, true});
  }
  const std::optional<crypto::ChecksumAlgorithm> alg =
      crypto::ChecksumAlgorithmFromName(upload.checksum_algorithm);
  const std::optional<ChecksumType> type = ChecksumTypeFromName(upload.checksum_type);
  if (!alg || !type) return InternalError("corrupt upload checksum settings");
  return std::optional<UploadChecksum>(UploadChecksum{*alg, *type, false});
}

// The object's checksum, made from its parts'. A whole-object value the
// completion carries (x-amz-checksum-<alg>) must equal it; a COMPOSITE
// value may come with or without its "-N".
Status SetObjectChecksum(const S3Request& req, const UploadRecord& upload, ObjectRecord& out_record,
                         const std::vector<PartChecksum>& parts) {
  ASSIGN_OR_RETURN(std::optional<UploadChecksum> how, ChecksumOfUpload(upload));
  if (!how) return Status::Ok();
  const std::string type_name(ChecksumTypeName(how->type));
  const std::string alg_name(crypto::ChecksumName(how->algorithm));
  // The API reference: a type other than the upload's is a BadDigest.
  if (std::string_view asked = req.Header("x-amz-checksum-type");
      !asked.empty() && ChecksumTypeFromName(asked) != how->type) {
    return S3Error("BadDigest", "The upload was created using the " + type_name +
                                    " checksum mode. The complete request must use the same checksum mode.");
  }
  std::optional<std::string> sum = MultipartChecksum(how->algorithm, how->type, parts);
  // A default-checksum upload may hold parts stored before the default
  // existed: the object then has no checksum, as it would have had.
  if (!sum) return how->by_default ? Status::Ok() : InternalError("corrupt part checksum");
  if (std::string_view given = req.Header(crypto::ChecksumHeaderName(how->algorithm)); !given.empty()) {
    if (given != *sum && given != std::string_view(*sum).substr(0, sum->rfind('-'))) {
      return S3Error("BadDigest",
                     "The " + LowerName(alg_name) + " you specified did not match the calculated checksum.");
    }
  }
  out_record.checksum_algorithm = alg_name;
  out_record.checksum_type = type_name;
  out_record.checksum = *sum;
  for (const auto& p : parts) out_record.part_checksums.push_back(p.base64);
  return Status::Ok();
}

}  // namespace

StatusOr<S3Reply> CreateMultipartUpload(S3Service& s3, const S3Request& req) {
  RETURN_IF_ERROR(ValidateKey(req.key));
  ASSIGN_OR_RETURN(BucketRecord bucket, s3.AuthorizedBucket(req, "s3:PutObject", true));
  ASSIGN_OR_RETURN(SseChoice choice, SseChoiceOf(req, bucket));
  UploadRecord upload;
  upload.upload_id = NewUploadId(s3.random());
  if (upload.upload_id.empty()) return InternalError("no random bytes for an upload id");
  upload.bucket = req.bucket;
  upload.key = req.key;
  upload.account = req.account;
  upload.initiator_arn = req.who.caller.arn;
  upload.initiated_ms = s3.NowMs();
  ASSIGN_OR_RETURN(upload.content, ContentHeadersOf(req));
  ASSIGN_OR_RETURN(upload.tags, ParseTaggingHeader(req.Header("x-amz-tagging"), kMaxObjectTags));
  RETURN_IF_ERROR(ChooseUploadChecksum(req, upload));
  // The upload's data key is made once here; each part blob is bound to it.
  ASSIGN_OR_RETURN(Sealing sealing,
                   s3.sealer().Seal(req, choice, BucketArn(req.bucket), ObjectArn(req.bucket, req.key)));
  upload.sse = std::move(sealing.state);
  ASSIGN_OR_RETURN(auto txn, s3.store().BeginWrite());
  RETURN_IF_ERROR(txn->Put(kUploadsTable, UploadRowKey(req.bucket, upload.upload_id), EncodeUpload(upload)));
  RETURN_IF_ERROR(txn->Commit());
  XmlOut xml("InitiateMultipartUploadResult");
  xml.Leaf("Bucket", req.bucket).Leaf("Key", req.key).Leaf("UploadId", upload.upload_id);
  S3Reply reply = XmlResponse(xml.Finish());
  AddSseHeaders(upload.sse, true, reply);
  if (!upload.checksum_algorithm.empty()) {
    reply.headers.emplace_back("x-amz-checksum-algorithm", upload.checksum_algorithm);
    reply.headers.emplace_back("x-amz-checksum-type", upload.checksum_type);
  }
  return reply;
}

StatusOr<std::unique_ptr<UploadSink>> UploadPart(S3Service& s3, const S3Request& req) {
  ASSIGN_OR_RETURN(int number, PartNumberOf(req));
  RETURN_IF_ERROR(s3.AuthorizedBucket(req, "s3:PutObject", true).status());
  ASSIGN_OR_RETURN(UploadRecord upload, ReadUpload(s3, req));
  ASSIGN_OR_RETURN(ObjectKeys keys, PartKeys(s3, req, upload));
  ASSIGN_OR_RETURN(BodyClaims claims, BodyClaimsOf(req));
  RETURN_IF_ERROR(MatchPartChecksum(upload, claims));
  const std::string header =
      claims.algorithm ? std::string(crypto::ChecksumHeaderName(*claims.algorithm)) : "";
  ASSIGN_OR_RETURN(auto body, BodyWriter::Start(s3.blobs(), std::move(claims), keys.view()));
  return std::unique_ptr<UploadSink>(std::make_unique<UploadPartSink>(
      s3, req, number, std::move(body), !upload.checksum_algorithm.empty(), header, upload.sse));
}

StatusOr<S3Reply> UploadPartCopy(S3Service& s3, const S3Request& req) {
  ASSIGN_OR_RETURN(int number, PartNumberOf(req));
  ASSIGN_OR_RETURN(CopySource source, ParseCopySource(req.Header("x-amz-copy-source")));
  RETURN_IF_ERROR(s3.AuthorizedBucket(req, "s3:PutObject", true).status());
  ASSIGN_OR_RETURN(UploadRecord upload, ReadUpload(s3, req));
  ASSIGN_OR_RETURN(ObjectRecord from, CopySourceObject(s3, req, source));
  ASSIGN_OR_RETURN(std::optional<CustomerKey> source_key, CustomerKeyOf(req, kCopySourceCustomerKeyHeaders));
  RETURN_IF_ERROR(ObjectSealer::CheckPresentedKey(from.sse, source_key));
  RETURN_IF_ERROR(CheckCopySourceConditions(req, from));
  ASSIGN_OR_RETURN(CopySpan span, CopySpanOf(req.Header("x-amz-copy-source-range"), from.size));
  if (span.length > kMaxCopyPartBytes) {
    return InvalidRequest(
        "The specified copy source is larger than the maximum allowable size for a copy source: "
        "5368709120");
  }
  ASSIGN_OR_RETURN(ObjectKeys keys, PartKeys(s3, req, upload));
  ASSIGN_OR_RETURN(ObjectKeys source_keys, s3.sealer().Unseal(req, from.sse, source_key));
  ASSIGN_OR_RETURN(
      auto body, ObjectBody::Open(s3.blobs(), from.parts, std::move(source_keys), span.offset, span.length));
  ASSIGN_OR_RETURN(std::optional<UploadChecksum> how, ChecksumOfUpload(upload));
  const bool summed = how.has_value();
  std::unique_ptr<crypto::Checksum> sum =
      crypto::Checksum::New(summed ? how->algorithm : crypto::ChecksumAlgorithm::kCrc32);
  SummingSource summing(*body, *sum);
  ASSIGN_OR_RETURN(CopiedBody copied, CopyToNewBlob(s3.blobs(), summing, keys.view()));
  StatusOr<std::string> etag = EtagHexFor(upload.sse, copied.md5_hex, s3.random());
  if (!etag.ok()) {
    (void)s3.blobs().Remove(copied.blob);
    return etag.status();
  }
  const PartRecord part{
      number, copied.blob, copied.size, "\"" + *etag + "\"", s3.NowMs(), summed ? sum->FinishBase64() : ""};
  RETURN_IF_ERROR(CommitPart(s3, req, part));
  XmlOut xml("CopyPartResult");
  xml.Leaf("ETag", part.etag).Leaf("LastModified", IsoMillis(part.last_modified_ms));
  if (summed) xml.Leaf("Checksum" + std::string(crypto::ChecksumName(sum->algorithm())), part.checksum);
  S3Reply reply = XmlResponse(xml.Finish());
  if (from.version_id != "null") reply.headers.emplace_back("x-amz-copy-source-version-id", from.version_id);
  AddSseHeaders(upload.sse, false, reply);
  return reply;
}

StatusOr<S3Reply> CompleteMultipartUpload(S3Service& s3, const S3Request& req) {
  RETURN_IF_ERROR(s3.AuthorizedBucket(req, "s3:PutObject", true).status());
  ASSIGN_OR_RETURN(std::vector<ChosenPart> chosen, ParseCompletion(req.body));
  ASSIGN_OR_RETURN(std::optional<std::uint64_t> declared_size,
                   ParseMpObjectSize(req.HasHeader("x-amz-mp-object-size")
                                         ? std::optional(req.Header("x-amz-mp-object-size"))
                                         : std::nullopt));
  ASSIGN_OR_RETURN(auto txn, s3.store().BeginWrite());
  ASSIGN_OR_RETURN(UploadRecord upload, ExistingUpload(*txn, req));
  ASSIGN_OR_RETURN(std::vector<PartRecord> parts, PartsOf(*txn, req.bucket, upload.upload_id));
  std::map<int, const PartRecord*> by_number;
  for (const auto& p : parts) by_number[p.number] = &p;
  ObjectRecord record;
  record.bucket = req.bucket;
  record.key = req.key;
  record.content = upload.content;
  record.tags = upload.tags;
  record.storage_class = upload.storage_class;
  record.sse = upload.sse;
  crypto::Md5 etag_md5;
  std::set<std::string> used;
  std::vector<PartChecksum> sums;
  for (std::size_t i = 0; i < chosen.size(); ++i) {
    const auto it = by_number.find(chosen[i].number);
    if (it == by_number.end() || !EtagListMatches(chosen[i].etag, it->second->etag)) return InvalidPart();
    const PartRecord& part = *it->second;
    RETURN_IF_ERROR(CheckChosenChecksum(upload, chosen[i], part));
    sums.push_back({part.checksum, part.size});
    if (i + 1 < chosen.size() && part.size < kMinPartBytes) {
      return S3Error("EntityTooSmall",
                     "Your proposed upload is smaller than the minimum allowed object size.");
    }
    std::optional<Bytes> md5 = HexDecode(part.etag.substr(1, part.etag.size() - 2));
    if (!md5) return InternalError("corrupt part ETag");
    etag_md5.Update(std::string_view(reinterpret_cast<const char*>(md5->data()), md5->size()));
    record.parts.push_back({part.blob, part.size});
    record.size += part.size;
    used.insert(part.blob);
  }
  RETURN_IF_ERROR(CheckMpObjectSize(declared_size, record.size));
  RETURN_IF_ERROR(SetObjectChecksum(req, upload, record, sums));
  record.etag = "\"" + etag_md5.FinishHex() + "-" + std::to_string(chosen.size()) + "\"";
  record.last_modified_ms = s3.NowMs();
  ASSIGN_OR_RETURN(WrittenObject written, WriteObject(s3, *txn, req, record));
  RETURN_IF_ERROR(txn->Delete(kUploadsTable, UploadRowKey(req.bucket, upload.upload_id)));
  for (const auto& p : parts) {
    RETURN_IF_ERROR(
        txn->Delete(kPartsTable, PartRowKey(UploadRowKey(req.bucket, upload.upload_id), p.number)));
  }
  RETURN_IF_ERROR(txn->Commit());
  std::vector<BlobRef> unused;
  for (const auto& p : parts) {
    if (!used.contains(p.blob)) unused.push_back({p.blob, p.size});
  }
  unused.insert(unused.end(), written.unreferenced.begin(), written.unreferenced.end());
  s3.RemoveBlobs(unused);
  XmlOut xml("CompleteMultipartUploadResult");
  xml.Leaf("Location", "/" + req.bucket + "/" + req.key).Leaf("Bucket", req.bucket).Leaf("Key", req.key);
  xml.Leaf("ETag", record.etag);
  if (!record.checksum.empty()) {
    xml.Leaf("Checksum" + record.checksum_algorithm, record.checksum)
        .Leaf("ChecksumType", record.checksum_type);
  }
  S3Reply reply = XmlResponse(xml.Finish());
  AddSseHeaders(record.sse, false, reply);
  if (written.versioned) reply.headers.emplace_back("x-amz-version-id", record.version_id);
  return reply;
}

StatusOr<S3Reply> AbortMultipartUpload(S3Service& s3, const S3Request& req) {
  RETURN_IF_ERROR(s3.AuthorizedBucket(req, "s3:AbortMultipartUpload", true).status());
  ASSIGN_OR_RETURN(auto txn, s3.store().BeginWrite());
  ASSIGN_OR_RETURN(UploadRecord upload, ExistingUpload(*txn, req));
  ASSIGN_OR_RETURN(std::vector<PartRecord> parts, PartsOf(*txn, req.bucket, upload.upload_id));
  RETURN_IF_ERROR(txn->Delete(kUploadsTable, UploadRowKey(req.bucket, upload.upload_id)));
  std::vector<BlobRef> blobs;
  for (const auto& p : parts) {
    RETURN_IF_ERROR(
        txn->Delete(kPartsTable, PartRowKey(UploadRowKey(req.bucket, upload.upload_id), p.number)));
    blobs.push_back({p.blob, p.size});
  }
  RETURN_IF_ERROR(txn->Commit());
  s3.RemoveBlobs(blobs);
  S3Reply reply;
  reply.status = 204;
  return reply;
}

StatusOr<S3Reply> ListParts(S3Service& s3, const S3Request& req) {
  RETURN_IF_ERROR(s3.AuthorizedBucket(req, "s3:ListMultipartUploadParts", true).status());
  std::size_t max = 1000;
  if (const std::string* m = req.Query("max-parts")) {
    ASSIGN_OR_RETURN(max, ParseMaxKeys(*m, "max-parts", 1000));
  }
  int marker = 0;
  if (const std::string* m = req.Query("part-number-marker")) {
    ASSIGN_OR_RETURN(std::size_t parsed, ParseMaxKeys(*m, "part-number-marker", kMaxPartNumber));
    marker = static_cast<int>(parsed);
  }
  ASSIGN_OR_RETURN(auto txn, s3.store().BeginRead());
  ASSIGN_OR_RETURN(UploadRecord upload, ExistingUpload(*txn, req));
  ASSIGN_OR_RETURN(std::vector<PartRecord> parts, PartsOf(*txn, req.bucket, upload.upload_id));
  std::erase_if(parts, [marker](const PartRecord& p) { return p.number <= marker; });
  const bool truncated = parts.size() > max;
  if (truncated) parts.resize(max);
  XmlOut xml("ListPartsResult");
  xml.Leaf("Bucket", req.bucket).Leaf("Key", req.key).Leaf("UploadId", upload.upload_id);
  xml.Leaf("PartNumberMarker", static_cast<std::uint64_t>(marker));
  if (!parts.empty()) xml.Leaf("NextPartNumberMarker", static_cast<std::uint64_t>(parts.back().number));
  xml.Leaf("MaxParts", max).Leaf("IsTruncated", truncated ? "true" : "false");
  for (const auto& p : parts) {
    xml.Open("Part").Leaf("PartNumber", static_cast<std::uint64_t>(p.number));
    xml.Leaf("LastModified", IsoMillis(p.last_modified_ms)).Leaf("ETag", p.etag).Leaf("Size", p.size);
    if (!p.checksum.empty() && !upload.checksum_algorithm.empty()) {
      xml.Leaf("Checksum" + upload.checksum_algorithm, p.checksum);
    }
    xml.Close();
  }
  xml.Open("Initiator").Leaf("ID", upload.initiator_arn).Leaf("DisplayName", upload.account).Close();
  xml.Open("Owner").Leaf("ID", CanonicalUserId(upload.account)).Leaf("DisplayName", upload.account).Close();
  xml.Leaf("StorageClass", upload.storage_class);
  if (!upload.checksum_algorithm.empty()) {
    xml.Leaf("ChecksumAlgorithm", upload.checksum_algorithm).Leaf("ChecksumType", upload.checksum_type);
  }
  return XmlResponse(xml.Finish());
}

}  // namespace coffer::s3

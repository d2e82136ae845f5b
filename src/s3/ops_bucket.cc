// Bucket operations: create, head, delete, list, location, tagging, public
// access block.
#include <pugixml.hpp>

#include "s3/errors.h"
#include "s3/ops.h"
#include "s3/tagging.h"
#include "s3/xml.h"

namespace coffer::s3 {
namespace {

bool IsLowerAlnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

bool LooksLikeIpAddress(std::string_view name) {
  int dots = 0;
  for (const char c : name) {
    if (c == '.') {
      ++dots;
    } else if (c < '0' || c > '9') {
      return false;
    }
  }
  return dots == 3;
}

Status UpdateBucket(S3Service& s3, std::string_view name,
                    const std::function<Status(BucketRecord&)>& change) {
  ASSIGN_OR_RETURN(auto txn, s3.store().BeginWrite());
  ASSIGN_OR_RETURN(std::optional<BucketRecord> bucket, LoadBucket(*txn, name));
  if (!bucket) return NoSuchBucket(name);
  RETURN_IF_ERROR(change(*bucket));
  RETURN_IF_ERROR(txn->Put(kBucketsTable, name, EncodeBucket(*bucket)));
  return txn->Commit();
}

StatusOr<std::string> LocationConstraintOf(const S3Request& req) {
  if (req.body.empty()) return std::string();
  ASSIGN_OR_RETURN(XmlDoc doc, XmlDoc::Parse(req.body));
  ASSIGN_OR_RETURN(pugi::xml_node root, doc.Root("CreateBucketConfiguration"));
  return ChildText(root, "LocationConstraint");
}

StatusOr<std::string> BucketRegionFor(const S3Request& req) {
  ASSIGN_OR_RETURN(std::string constraint, LocationConstraintOf(req));
  if (constraint == "us-east-1") {
    return S3Error("InvalidLocationConstraint", "The specified location-constraint is not valid");
  }
  const std::string region = constraint.empty() ? "us-east-1" : constraint;
  if (region != req.region) {
    return S3Error("IllegalLocationConstraintException",
                   constraint.empty() ? "The unspecified location constraint is incompatible for the region "
                                        "specific endpoint this request was sent to."
                                      : "The " + constraint +
                                            " location constraint is incompatible for the region specific "
                                            "endpoint this request was sent to.");
  }
  return region;
}

S3Reply NoContent() {
  S3Reply reply;
  reply.status = 204;
  return reply;
}

S3Reply XmlReply(std::string body) {
  S3Reply reply;
  reply.headers.emplace_back("Content-Type", "application/xml");
  reply.body = std::move(body);
  return reply;
}

}  // namespace

Status ValidateBucketName(std::string_view name) {
  const Status invalid = S3Error("InvalidBucketName", "The specified bucket is not valid.");
  if (name.size() < 3 || name.size() > 63) return invalid;
  if (!IsLowerAlnum(name.front()) || !IsLowerAlnum(name.back())) return invalid;
  for (const char c : name) {
    if (!IsLowerAlnum(c) && c != '.' && c != '-') return invalid;
  }
  if (name.find("..") != std::string_view::npos || name.find(".-") != std::string_view::npos ||
      name.find("-.") != std::string_view::npos || LooksLikeIpAddress(name)) {
    return invalid;
  }
  for (std::string_view prefix : {"xn--", "sthree-", "amzn-s3-demo-"}) {
    if (name.starts_with(prefix)) return invalid;
  }
  for (std::string_view suffix : {"-s3alias", "--ol-s3", ".mrap", "--x-s3"}) {
    if (name.ends_with(suffix)) return invalid;
  }
  return Status::Ok();
}

StatusOr<S3Reply> CreateBucket(S3Service& s3, const S3Request& req) {
  RETURN_IF_ERROR(ValidateBucketName(req.bucket));
  RETURN_IF_ERROR(s3.Authorize(req, "s3:CreateBucket", BucketArn(req.bucket), nullptr));
  ASSIGN_OR_RETURN(std::string region, BucketRegionFor(req));
  ASSIGN_OR_RETURN(auto txn, s3.store().BeginWrite());
  ASSIGN_OR_RETURN(std::optional<BucketRecord> existing, LoadBucket(*txn, req.bucket));
  S3Reply reply;
  reply.headers.emplace_back("Location", "/" + req.bucket);
  if (existing) {
    if (existing->account != req.account) {
      return S3Error(
          "BucketAlreadyExists",
          "The requested bucket name is not available. The bucket namespace is shared by all users of "
          "the system. Please select a different name and try again.");
    }
    // us-east-1 answers a repeated create by the owner with 200, as AWS keeps for legacy clients.
    if (existing->region == "us-east-1" && region == "us-east-1") return reply;
    return S3Error("BucketAlreadyOwnedByYou",
                   "Your previous request to create the named bucket succeeded and you already own it.");
  }
  BucketRecord bucket;
  bucket.name = req.bucket;
  bucket.account = req.account;
  bucket.region = region;
  bucket.created_ms = s3.NowMs();
  RETURN_IF_ERROR(txn->Put(kBucketsTable, req.bucket, EncodeBucket(bucket)));
  RETURN_IF_ERROR(txn->Commit());
  return reply;
}

StatusOr<S3Reply> HeadBucket(S3Service& s3, const S3Request& req) {
  ASSIGN_OR_RETURN(BucketRecord bucket, s3.AuthorizedBucket(req, "s3:ListBucket", false));
  S3Reply reply;
  reply.headers.emplace_back("x-amz-bucket-region", bucket.region);
  reply.headers.emplace_back("x-amz-access-point-alias", "false");
  return reply;
}

StatusOr<S3Reply> DeleteBucket(S3Service& s3, const S3Request& req) {
  RETURN_IF_ERROR(s3.AuthorizedBucket(req, "s3:DeleteBucket", false).status());
  ASSIGN_OR_RETURN(auto txn, s3.store().BeginWrite());
  ASSIGN_OR_RETURN(auto objects, txn->Scan(kObjectsTable, req.bucket + "/", "", 1));
  ASSIGN_OR_RETURN(auto uploads, txn->Scan(kUploadsTable, req.bucket + "/", "", 1));
  ASSIGN_OR_RETURN(auto versions, txn->Scan(kVersionsTable, req.bucket + "/", "", 1));
  if (!objects.empty() || !uploads.empty() || !versions.empty()) {
    return S3Error("BucketNotEmpty", "The bucket you tried to delete is not empty");
  }
  RETURN_IF_ERROR(txn->Delete(kBucketsTable, req.bucket));
  RETURN_IF_ERROR(txn->Commit());
  return NoContent();
}

StatusOr<S3Reply> ListBuckets(S3Service& s3, const S3Request& req) {
  RETURN_IF_ERROR(s3.Authorize(req, "s3:ListAllMyBuckets", "*", nullptr));
  const std::string* prefix = req.Query("prefix");
  const std::string* token = req.Query("continuation-token");
  const std::string* region = req.Query("bucket-region");
  std::size_t max = 10000;
  if (const std::string* m = req.Query("max-buckets")) {
    ASSIGN_OR_RETURN(max, ParseMaxKeys(*m, "max-buckets", 10000));
    if (max == 0) return InvalidArgument("Argument max-buckets must be between 1 and 10000");
  }
  ASSIGN_OR_RETURN(auto txn, s3.store().BeginRead());
  ASSIGN_OR_RETURN(auto rows, txn->Scan(kBucketsTable, prefix ? *prefix : "", token ? *token : "", kAllRows));
  XmlOut xml("ListAllMyBucketsResult");
  xml.Open("Owner").Leaf("ID", CanonicalUserId(req.account)).Leaf("DisplayName", req.account).Close();
  xml.Open("Buckets");
  std::size_t listed = 0;
  std::string last;
  bool more = false;
  for (const auto& row : rows) {
    ASSIGN_OR_RETURN(BucketRecord b, DecodeBucket(row.value));
    if (b.account != req.account || (region && b.region != *region)) continue;
    if (listed == max) {
      more = true;
      break;
    }
    xml.Open("Bucket").Leaf("Name", b.name).Leaf("CreationDate", IsoMillis(b.created_ms));
    xml.Leaf("BucketRegion", b.region).Close();
    last = b.name;
    ++listed;
  }
  xml.Close();
  if (more) xml.Leaf("ContinuationToken", last);
  if (prefix) xml.Leaf("Prefix", *prefix);
  return XmlReply(xml.Finish());
}

StatusOr<S3Reply> GetBucketLocation(S3Service& s3, const S3Request& req) {
  ASSIGN_OR_RETURN(BucketRecord bucket, s3.AuthorizedBucket(req, "s3:GetBucketLocation", false));
  std::string body = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<LocationConstraint xmlns=\"";
  body.append(kS3Namespace).append("\">");
  if (bucket.region != "us-east-1") AppendXmlEscaped(bucket.region, body);
  body.append("</LocationConstraint>");
  return XmlReply(std::move(body));
}

StatusOr<S3Reply> PutBucketTagging(S3Service& s3, const S3Request& req) {
  RETURN_IF_ERROR(s3.AuthorizedBucket(req, "s3:PutBucketTagging", false).status());
  ASSIGN_OR_RETURN(Tags tags, ParseTaggingXml(req.body, kMaxBucketTags));
  RETURN_IF_ERROR(UpdateBucket(s3, req.bucket, [&](BucketRecord& b) {
    b.tags = tags;
    return Status::Ok();
  }));
  return NoContent();
}

StatusOr<S3Reply> GetBucketTagging(S3Service& s3, const S3Request& req) {
  ASSIGN_OR_RETURN(BucketRecord bucket, s3.AuthorizedBucket(req, "s3:GetBucketTagging", false));
  if (!bucket.tags) return S3Error("NoSuchTagSet", "The TagSet does not exist");
  return XmlReply(TaggingXml(*bucket.tags));
}

StatusOr<S3Reply> DeleteBucketTagging(S3Service& s3, const S3Request& req) {
  RETURN_IF_ERROR(s3.AuthorizedBucket(req, "s3:PutBucketTagging", false).status());
  RETURN_IF_ERROR(UpdateBucket(s3, req.bucket, [](BucketRecord& b) {
    b.tags.reset();
    return Status::Ok();
  }));
  return NoContent();
}

StatusOr<S3Reply> PutPublicAccessBlock(S3Service& s3, const S3Request& req) {
  RETURN_IF_ERROR(s3.AuthorizedBucket(req, "s3:PutBucketPublicAccessBlock", false).status());
  ASSIGN_OR_RETURN(XmlDoc doc, XmlDoc::Parse(req.body));
  ASSIGN_OR_RETURN(pugi::xml_node root, doc.Root("PublicAccessBlockConfiguration"));
  auto flag = [&root](std::string_view name) -> StatusOr<bool> {
    const std::string text = ChildText(root, name);
    if (text.empty() || text == "false") return false;
    if (text == "true") return true;
    return MalformedXml();
  };
  PublicAccessBlock block;
  ASSIGN_OR_RETURN(block.block_public_acls, flag("BlockPublicAcls"));
  ASSIGN_OR_RETURN(block.ignore_public_acls, flag("IgnorePublicAcls"));
  ASSIGN_OR_RETURN(block.block_public_policy, flag("BlockPublicPolicy"));
  ASSIGN_OR_RETURN(block.restrict_public_buckets, flag("RestrictPublicBuckets"));
  RETURN_IF_ERROR(UpdateBucket(s3, req.bucket, [&](BucketRecord& b) {
    b.public_access_block = block;
    return Status::Ok();
  }));
  return S3Reply{};
}

StatusOr<S3Reply> GetPublicAccessBlock(S3Service& s3, const S3Request& req) {
  ASSIGN_OR_RETURN(BucketRecord bucket, s3.AuthorizedBucket(req, "s3:GetBucketPublicAccessBlock", false));
  if (!bucket.public_access_block) {
    return S3Error("NoSuchPublicAccessBlockConfiguration",
                   "The public access block configuration was not found");
  }
  const PublicAccessBlock& p = *bucket.public_access_block;
  auto text = [](bool b) { return b ? "true" : "false"; };
  XmlOut xml("PublicAccessBlockConfiguration");
  xml.Leaf("BlockPublicAcls", text(p.block_public_acls)).Leaf("IgnorePublicAcls", text(p.ignore_public_acls));
  xml.Leaf("BlockPublicPolicy", text(p.block_public_policy))
      .Leaf("RestrictPublicBuckets", text(p.restrict_public_buckets));
  return XmlReply(xml.Finish());
}

StatusOr<S3Reply> DeletePublicAccessBlock(S3Service& s3, const S3Request& req) {
  RETURN_IF_ERROR(s3.AuthorizedBucket(req, "s3:PutBucketPublicAccessBlock", false).status());
  RETURN_IF_ERROR(UpdateBucket(s3, req.bucket, [](BucketRecord& b) {
    b.public_access_block.reset();
    return Status::Ok();
  }));
  return NoContent();
}

StatusOr<S3Reply> PutBucketVersioning(S3Service& s3, const S3Request& req) {
  RETURN_IF_ERROR(s3.AuthorizedBucket(req, "s3:PutBucketVersioning", false).status());
  ASSIGN_OR_RETURN(XmlDoc doc, XmlDoc::Parse(req.body));
  ASSIGN_OR_RETURN(pugi::xml_node root, doc.Root("VersioningConfiguration"));
  const std::string status = ChildText(root, "Status");
  if (status != "Enabled" && status != "Suspended") return MalformedXml();
  if (ChildText(root, "MfaDelete") == "Enabled") {
    return InvalidRequest("DevPay and Mfa are mutually exclusive authorization methods.");
  }
  RETURN_IF_ERROR(UpdateBucket(s3, req.bucket, [&](BucketRecord& b) {
    b.versioning = status;
    return Status::Ok();
  }));
  return S3Reply{};
}

StatusOr<S3Reply> GetBucketVersioning(S3Service& s3, const S3Request& req) {
  ASSIGN_OR_RETURN(BucketRecord bucket, s3.AuthorizedBucket(req, "s3:GetBucketVersioning", false));
  XmlOut xml("VersioningConfiguration");
  if (!bucket.versioning.empty()) xml.Leaf("Status", bucket.versioning);
  return XmlReply(xml.Finish());
}

}  // namespace coffer::s3

#include "s3/records.h"

#include <cstdio>
#include <nlohmann/json.hpp>

#include "common/json_parse.h"

namespace coffer::s3 {
namespace {

using nlohmann::json;

json EncodeContent(const ContentHeaders& c) {
  return {{"type", c.content_type},
          {"encoding", c.content_encoding},
          {"disposition", c.content_disposition},
          {"language", c.content_language},
          {"cache", c.cache_control},
          {"expires", c.expires},
          {"meta", c.metadata}};
}

ContentHeaders DecodeContent(const json& j) {
  ContentHeaders c;
  c.content_type = j.value("type", "");
  c.content_encoding = j.value("encoding", "");
  c.content_disposition = j.value("disposition", "");
  c.content_language = j.value("language", "");
  c.cache_control = j.value("cache", "");
  c.expires = j.value("expires", "");
  c.metadata = j.value("meta", std::map<std::string, std::string>{});
  return c;
}

json EncodeSse(const SseState& s) {
  json j = {{"mode", s.mode}};
  if (!s.kms_key_arn.empty()) j["kms"] = s.kms_key_arn;
  if (!s.wrapped_key.empty()) j["wk"] = s.wrapped_key;
  if (s.bucket_key) j["bk"] = true;
  if (!s.salt.empty()) j["salt"] = s.salt;
  if (!s.context.empty()) j["ctx"] = s.context;
  if (s.context_given) j["ctxg"] = true;
  if (!s.customer_key_md5.empty()) j["cmd5"] = s.customer_key_md5;
  if (!s.customer_key_hmac.empty()) j["chmac"] = s.customer_key_hmac;
  return j;
}

std::optional<SseState> DecodeSse(const json& record) {
  const auto it = record.find("sse");
  if (it == record.end()) return std::nullopt;
  const json& j = *it;
  SseState s;
  s.mode = j.at("mode").get<std::string>();
  s.kms_key_arn = j.value("kms", "");
  s.wrapped_key = j.value("wk", "");
  s.bucket_key = j.value("bk", false);
  s.salt = j.value("salt", "");
  s.context = j.value("ctx", std::map<std::string, std::string>{});
  s.context_given = j.value("ctxg", false);
  s.customer_key_md5 = j.value("cmd5", "");
  s.customer_key_hmac = j.value("chmac", "");
  return s;
}

StatusOr<json> ParseRecord(std::string_view text, std::string_view what) {
  std::optional<json> parsed = ParseJson(text);
  if (!parsed || !parsed->is_object()) return InternalError("corrupt S3 " + std::string(what) + " record");
  return std::move(*parsed);
}

// A decode that meets a wrong type reports corruption instead of throwing.
template <typename T, typename Fn>
StatusOr<T> Decode(std::string_view text, std::string_view what, Fn fn) {
  ASSIGN_OR_RETURN(json j, ParseRecord(text, what));
  try {
    return fn(j);
  } catch (const json::exception&) {
    return InternalError("corrupt S3 " + std::string(what) + " record");
  }
}

}  // namespace

std::string EncodeBucket(const BucketRecord& r) {
  json j = {{"name", r.name},
            {"account", r.account},
            {"region", r.region},
            {"created", r.created_ms},
            {"versioning", r.versioning}};
  if (r.tags) j["tags"] = *r.tags;
  if (r.public_access_block) {
    const auto& p = *r.public_access_block;
    j["pab"] = {p.block_public_acls, p.ignore_public_acls, p.block_public_policy, p.restrict_public_buckets};
  }
  if (r.encryption) {
    j["sse"] = {{"alg", r.encryption->algorithm},
                {"kms", r.encryption->kms_key_id},
                {"bk", r.encryption->bucket_key_enabled}};
  }
  if (r.policy) j["policy"] = *r.policy;
  return j.dump();
}

StatusOr<BucketRecord> DecodeBucket(std::string_view text) {
  return Decode<BucketRecord>(text, "bucket", [](const json& j) {
    BucketRecord r;
    r.name = j.at("name").get<std::string>();
    r.account = j.at("account").get<std::string>();
    r.region = j.at("region").get<std::string>();
    r.created_ms = j.at("created").get<std::int64_t>();
    r.versioning = j.value("versioning", "");
    if (j.contains("tags")) r.tags = j["tags"].get<Tags>();
    if (j.contains("pab")) {
      const auto& p = j["pab"];
      r.public_access_block = PublicAccessBlock{p.at(0).get<bool>(), p.at(1).get<bool>(), p.at(2).get<bool>(),
                                                p.at(3).get<bool>()};
    }
    if (j.contains("sse")) {
      const auto& e = j["sse"];
      r.encryption =
          BucketEncryption{e.at("alg").get<std::string>(), e.value("kms", ""), e.value("bk", false)};
    }
    if (j.contains("policy")) r.policy = j["policy"].get<std::string>();
    return r;
  });
}

std::string EncodeObject(const ObjectRecord& r) {
  json parts = json::array();
  for (const auto& p : r.parts) parts.push_back({p.blob, p.size});
  json j = {{"bucket", r.bucket},
            {"key", r.key},
            {"etag", r.etag},
            {"size", r.size},
            {"mtime", r.last_modified_ms},
            {"content", EncodeContent(r.content)},
            {"tags", r.tags},
            {"parts", parts},
            {"ckalg", r.checksum_algorithm},
            {"ck", r.checksum},
            {"class", r.storage_class},
            {"vid", r.version_id},
            {"order", r.order},
            {"dm", r.delete_marker}};
  if (!r.checksum_type.empty()) j["cktype"] = r.checksum_type;
  if (!r.part_checksums.empty()) j["pck"] = r.part_checksums;
  if (r.sse) j["sse"] = EncodeSse(*r.sse);
  return j.dump();
}

StatusOr<ObjectRecord> DecodeObject(std::string_view text) {
  return Decode<ObjectRecord>(text, "object", [](const json& j) {
    ObjectRecord r;
    r.bucket = j.at("bucket").get<std::string>();
    r.key = j.at("key").get<std::string>();
    r.etag = j.at("etag").get<std::string>();
    r.size = j.at("size").get<std::uint64_t>();
    r.last_modified_ms = j.at("mtime").get<std::int64_t>();
    r.content = DecodeContent(j.at("content"));
    r.tags = j.value("tags", Tags{});
    for (const auto& p : j.at("parts"))
      r.parts.push_back({p.at(0).get<std::string>(), p.at(1).get<std::uint64_t>()});
    r.checksum_algorithm = j.value("ckalg", "");
    r.checksum = j.value("ck", "");
    r.checksum_type = j.value("cktype", "");
    r.part_checksums = j.value("pck", std::vector<std::string>{});
    r.storage_class = j.value("class", "STANDARD");
    r.version_id = j.value("vid", "null");
    r.order = j.value("order", "");
    r.delete_marker = j.value("dm", false);
    r.sse = DecodeSse(j);
    return r;
  });
}

std::string EncodeUpload(const UploadRecord& r) {
  json j = {{"id", r.upload_id},
            {"bucket", r.bucket},
            {"key", r.key},
            {"account", r.account},
            {"initiator", r.initiator_arn},
            {"initiated", r.initiated_ms},
            {"content", EncodeContent(r.content)},
            {"tags", r.tags},
            {"ckalg", r.checksum_algorithm},
            {"cktype", r.checksum_type},
            {"class", r.storage_class}};
  if (r.sse) j["sse"] = EncodeSse(*r.sse);
  return j.dump();
}

StatusOr<UploadRecord> DecodeUpload(std::string_view text) {
  return Decode<UploadRecord>(text, "upload", [](const json& j) {
    UploadRecord r;
    r.upload_id = j.at("id").get<std::string>();
    r.bucket = j.at("bucket").get<std::string>();
    r.key = j.at("key").get<std::string>();
    r.account = j.at("account").get<std::string>();
    r.initiator_arn = j.value("initiator", "");
    r.initiated_ms = j.at("initiated").get<std::int64_t>();
    r.content = DecodeContent(j.at("content"));
    r.tags = j.value("tags", Tags{});
    r.checksum_algorithm = j.value("ckalg", "");
    r.checksum_type = j.value("cktype", "");
    // An upload begun before checksum types were kept has S3's default type.
    if (r.checksum_type.empty() && !r.checksum_algorithm.empty())
      r.checksum_type = r.checksum_algorithm == "CRC64NVME" ? "FULL_OBJECT" : "COMPOSITE";
    r.storage_class = j.value("class", "STANDARD");
    r.sse = DecodeSse(j);
    return r;
  });
}

std::string EncodePart(const PartRecord& r) {
  return json{
      {"n", r.number},   {"blob", r.blob}, {"size", r.size}, {"etag", r.etag}, {"mtime", r.last_modified_ms},
      {"ck", r.checksum}}
      .dump();
}

StatusOr<PartRecord> DecodePart(std::string_view text) {
  return Decode<PartRecord>(text, "part", [](const json& j) {
    PartRecord r;
    r.number = j.at("n").get<int>();
    r.blob = j.at("blob").get<std::string>();
    r.size = j.at("size").get<std::uint64_t>();
    r.etag = j.at("etag").get<std::string>();
    r.last_modified_ms = j.at("mtime").get<std::int64_t>();
    r.checksum = j.value("ck", "");
    return r;
  });
}

std::string ObjectRowKey(std::string_view bucket, std::string_view key) {
  std::string out;
  out.reserve(bucket.size() + 1 + key.size());
  out.append(bucket).push_back('/');
  out.append(key);
  return out;
}

std::string PartRowKey(std::string_view upload_id, int number) {
  char digits[8];
  std::snprintf(digits, sizeof(digits), "%05d", number);
  return std::string(upload_id) + "/" + digits;
}

StatusOr<std::optional<BucketRecord>> LoadBucket(store::Txn& txn, std::string_view name) {
  ASSIGN_OR_RETURN(auto raw, txn.Get(kBucketsTable, name));
  if (!raw) return std::optional<BucketRecord>();
  ASSIGN_OR_RETURN(BucketRecord r, DecodeBucket(*raw));
  return std::optional<BucketRecord>(std::move(r));
}

StatusOr<std::optional<ObjectRecord>> LoadObject(store::Txn& txn, std::string_view bucket,
                                                 std::string_view key) {
  ASSIGN_OR_RETURN(auto raw, txn.Get(kObjectsTable, ObjectRowKey(bucket, key)));
  if (!raw) return std::optional<ObjectRecord>();
  ASSIGN_OR_RETURN(ObjectRecord r, DecodeObject(*raw));
  return std::optional<ObjectRecord>(std::move(r));
}

std::string UploadRowKey(std::string_view bucket, std::string_view upload_id) {
  return ObjectRowKey(bucket, upload_id);
}

StatusOr<std::optional<UploadRecord>> LoadUpload(store::Txn& txn, std::string_view bucket,
                                                 std::string_view upload_id) {
  ASSIGN_OR_RETURN(auto raw, txn.Get(kUploadsTable, UploadRowKey(bucket, upload_id)));
  if (!raw) return std::optional<UploadRecord>();
  ASSIGN_OR_RETURN(UploadRecord r, DecodeUpload(*raw));
  return std::optional<UploadRecord>(std::move(r));
}

}  // namespace coffer::s3

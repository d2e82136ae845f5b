// CreateSecret, DescribeSecret, UpdateSecret, DeleteSecret, RestoreSecret,
// ListSecrets, TagResource, UntagResource.
#include <algorithm>
#include <cctype>
#include <utility>

#include "common/encoding.h"
#include "common/tags.h"
#include "secrets/errors.h"
#include "secrets/ids.h"
#include "secrets/service.h"
#include "secrets/table.h"

namespace coffer::secrets {
namespace {

constexpr std::size_t kMaxTags = 50;
constexpr std::int64_t kDayMs = 24LL * 3600 * 1000;

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

// aws:RequestTag/<k> and aws:TagKeys of a Tags list.
void AddRequestTags(const Json& tags, policy::ContextKeys& keys) {
  std::vector<std::string> names;
  for (const auto& t : tags) {
    const std::string k = t.value("Key", "");
    keys.Set("aws:RequestTag/" + k, t.value("Value", ""));
    names.push_back(k);
  }
  keys.SetMulti("aws:TagKeys", std::move(names));
}

Status CheckTags(const Json& tags) {
  for (const auto& t : tags) {
    if (!t.contains("Key")) return InvalidParameter("A tag must have a Key.");
    if (IsReservedTagKey(t.at("Key").get<std::string>())) {
      return InvalidParameter("Invalid tag key: tag keys starting with 'aws:' are reserved for AWS use.");
    }
  }
  return Status::Ok();
}

// Applies TagResource's semantics: new keys appended, existing keys replaced.
Status MergeTags(SecretRecord& r, const Json& tags) {
  for (const auto& t : tags) {
    const std::string k = t.at("Key").get<std::string>();
    const std::string v = t.value("Value", "");
    auto it = std::find_if(r.tags.begin(), r.tags.end(), [&](const auto& p) { return p.first == k; });
    if (it != r.tags.end()) {
      it->second = v;
    } else {
      r.tags.emplace_back(k, v);
    }
  }
  if (r.tags.size() > kMaxTags) {
    return InvalidParameter("The secret has more than the maximum of 50 tags.");
  }
  return Status::Ok();
}

// The words of `text` as Secrets Manager's search splits them (user guide,
// "Find secrets"): runs of letters or digits, also broken where lowercase
// turns to uppercase and between letters and digits; lowercased.
std::vector<std::string> Words(const std::string& text) {
  auto kind = [](unsigned char c) { return std::isdigit(c) ? 1 : (std::isalpha(c) ? 2 : 0); };
  std::vector<std::string> out;
  std::string word;
  for (unsigned char c : text) {
    const unsigned char last = word.empty() ? 0 : static_cast<unsigned char>(word.back());
    const bool boundary =
        kind(c) == 0 || (!word.empty() && (kind(c) != kind(last) || (std::isupper(c) && std::islower(last))));
    if (boundary && !word.empty()) out.push_back(Lower(std::exchange(word, {})));
    if (kind(c) != 0) word.push_back(static_cast<char>(c));
  }
  if (!word.empty()) out.push_back(Lower(word));
  return out;
}

// One ListSecrets filter against one secret: values are ORed, "!" values
// negate (the secret matches when none of them matches).
bool PrefixMatch(const std::string& text, const std::string& value, bool ignore_case) {
  if (ignore_case) return Lower(text).starts_with(Lower(value));
  return text.starts_with(value);
}

bool AttributeMatches(const SecretRecord& r, const std::string& key, const std::string& value) {
  if (key == "name") return PrefixMatch(r.name, value, false);
  if (key == "description") return PrefixMatch(r.description, value, true);
  if (key == "tag-key") {
    return std::any_of(r.tags.begin(), r.tags.end(),
                       [&](const auto& t) { return PrefixMatch(t.first, value, false); });
  }
  if (key == "tag-value") {
    return std::any_of(r.tags.begin(), r.tags.end(),
                       [&](const auto& t) { return PrefixMatch(t.second, value, false); });
  }
  if (key == "primary-region") {
    return PrefixMatch(r.is_replica() ? r.primary_region : (r.replicas.empty() ? "" : r.region), value,
                       false);
  }
  if (key == "owning-service") return PrefixMatch(r.owning_service, value, false);
  // "all": every word of the value must prefix-match a word of the name, the
  // description or a tag, ignoring case.
  std::vector<std::string> attribute_words;
  auto add = [&](const std::string& text) {
    for (auto& w : Words(text)) attribute_words.push_back(std::move(w));
  };
  add(r.name);
  add(r.description);
  for (const auto& [k, v] : r.tags) {
    add(k);
    add(v);
  }
  const std::vector<std::string> wanted = Words(value);
  return !wanted.empty() && std::all_of(wanted.begin(), wanted.end(), [&](const std::string& w) {
    return std::any_of(attribute_words.begin(), attribute_words.end(),
                       [&](const std::string& a) { return a.starts_with(w); });
  });
}

bool FilterMatches(const SecretRecord& r, const Json& filter) {
  const std::string key = filter.value("Key", "all");
  bool any_positive = false;
  bool positive_hit = false;
  for (const auto& v : filter.value("Values", Json::array())) {
    std::string value = v.get<std::string>();
    if (!value.empty() && value[0] == '!') {
      if (AttributeMatches(r, key, value.substr(1))) return false;
    } else {
      any_positive = true;
      positive_hit = positive_hit || AttributeMatches(r, key, value);
    }
  }
  return !any_positive || positive_hit;
}

}  // namespace

StatusOr<Json> SecretsService::CreateSecret(const Caller& c, const Json& req) {
  const std::string name = req.at("Name").get<std::string>();
  if (!ValidSecretName(name)) {
    return InvalidParameter(
        "Invalid name. Must be a valid name containing alphanumeric characters, or any of the following: "
        "-/_+=.@!");
  }
  const Json tags = req.value("Tags", Json::array());
  RETURN_IF_ERROR(CheckTags(tags));
  if (tags.size() > kMaxTags) return InvalidParameter("The request has more than the maximum of 50 tags.");
  ASSIGN_OR_RETURN(std::optional<PlainValue> value, ValueOf(req));
  ASSIGN_OR_RETURN(std::string suffix, NewArnSuffix(random_));
  SecretRecord r;
  r.arn = SecretArn(c.region, c.account, name, suffix);
  r.name = name;
  r.account = c.account;
  r.region = c.region;
  r.description = req.value("Description", "");
  r.kms_key_id = req.value("KmsKeyId", "");
  for (const auto& t : tags) r.tags.emplace_back(t.at("Key").get<std::string>(), t.value("Value", ""));
  r.created_ms = NowMs();
  r.last_changed_ms = r.created_ms;

  policy::ContextKeys keys;
  AddRequestTags(tags, keys);
  keys.Set("secretsmanager:Name", name);
  if (!r.description.empty()) keys.Set("secretsmanager:Description", r.description);
  if (!r.kms_key_id.empty()) keys.Set("secretsmanager:KmsKeyId", r.kms_key_id);
  RETURN_IF_ERROR(Authorize(c, "CreateSecret", name, nullptr, std::move(keys)));
  {
    ASSIGN_OR_RETURN(auto txn, store_.BeginRead());
    ASSIGN_OR_RETURN(auto existing, SecretTable::Get(*txn, c.account, c.region, name));
    if (existing && existing->scheduled_for_deletion()) {
      return InvalidRequest(
          "You can't create this secret because a secret with this name is already scheduled for deletion.");
    }
    if (existing)
      return ResourceExists("The operation failed because the secret " + name + " already exists.");
  }
  std::string token = req.value("ClientRequestToken", "");
  if (token.empty()) {
    ASSIGN_OR_RETURN(token, NewVersionId());
  }
  std::optional<SealedValue> sealed;
  if (value) {
    if (value->bytes().size() > 65536) {
      return InvalidParameter("The secret value is larger than the maximum size of 65536 bytes.");
    }
    ASSIGN_OR_RETURN(sealed, sealer_.Seal(Via(c, c.region), KeyIdOf(r), r.arn, token, *value));
    VersionMeta meta;
    meta.created_ms = r.created_ms;
    meta.stages = {std::string(kCurrent)};
    for (const auto& k : sealed->keys) meta.kms_key_arns.push_back(k.key_arn);
    r.versions.emplace(token, std::move(meta));
  }
  ASSIGN_OR_RETURN(auto txn, store_.BeginWrite());
  ASSIGN_OR_RETURN(auto raced, SecretTable::Get(*txn, c.account, c.region, name));
  if (raced) return ResourceExists("The operation failed because the secret " + name + " already exists.");
  if (sealed) RETURN_IF_ERROR(SecretTable::PutValue(*txn, r.arn, token, *sealed));
  RETURN_IF_ERROR(SecretTable::Put(*txn, r));
  RETURN_IF_ERROR(txn->Commit());
  Json out = {{"ARN", r.arn}, {"Name", r.name}};
  if (value) out["VersionId"] = token;
  if (req.contains("AddReplicaRegions")) {
    Json replicate = {{"SecretId", r.arn},
                      {"AddReplicaRegions", req.at("AddReplicaRegions")},
                      {"ForceOverwriteReplicaSecret", req.value("ForceOverwriteReplicaSecret", false)}};
    ASSIGN_OR_RETURN(Json rep, ReplicateSecretToRegions(c, replicate));
    out["ReplicationStatus"] = rep.value("ReplicationStatus", Json::array());
  }
  return out;
}

StatusOr<Json> SecretsService::DescribeSecret(const Caller& c, const Json& req) {
  ASSIGN_OR_RETURN(auto txn, store_.BeginRead());
  ASSIGN_OR_RETURN(SecretRecord r, Resolve(*txn, c, req.at("SecretId").get<std::string>(), "DescribeSecret"));
  return Describe(r, false);
}

StatusOr<Json> SecretsService::UpdateSecret(const Caller& c, const Json& req) {
  const std::string id = req.at("SecretId").get<std::string>();
  policy::ContextKeys keys;
  if (req.contains("Description"))
    keys.Set("secretsmanager:Description", req.at("Description").get<std::string>());
  if (req.contains("KmsKeyId")) keys.Set("secretsmanager:KmsKeyId", req.at("KmsKeyId").get<std::string>());
  SecretRecord seen;
  {
    ASSIGN_OR_RETURN(auto txn, store_.BeginRead());
    ASSIGN_OR_RETURN(seen, Resolve(*txn, c, id, "UpdateSecret", std::move(keys)));
  }
  RETURN_IF_ERROR(CheckWritable(seen));
  ASSIGN_OR_RETURN(std::optional<PlainValue> value, ValueOf(req));
  const bool key_changes =
      req.contains("KmsKeyId") && req.at("KmsKeyId").get<std::string>() != seen.kms_key_id;
  // The labelled versions are wrapped under the new key too (AWS re-encrypts
  // AWSCURRENT, AWSPENDING and AWSPREVIOUS and keeps the old wrapping). A
  // version the caller cannot decrypt under the old key stays as it is.
  std::map<std::string, SealedValue> rewrapped;
  if (key_changes && !value) {
    SecretRecord target = seen;
    target.kms_key_id = req.at("KmsKeyId").get<std::string>();
    for (const auto& [vid, meta] : seen.versions) {
      if (meta.stages.empty()) continue;
      ASSIGN_OR_RETURN(auto txn, store_.BeginRead());
      ASSIGN_OR_RETURN(auto sealed, SecretTable::GetValue(*txn, seen.arn, vid));
      RETURN_IF_ERROR(txn->Commit());
      if (!sealed) continue;
      Status st = sealer_.Rewrap(Via(c, c.region), *sealed, KeyIdOf(target), seen.arn, vid);
      if (st.code() == ErrorCode::kAccessDenied && st.type().empty()) continue;
      if (!st.ok() && st.type() == "DecryptionFailure") continue;
      RETURN_IF_ERROR(st);
      rewrapped.emplace(vid, std::move(*sealed));
    }
  }
  {
    ASSIGN_OR_RETURN(auto txn, store_.BeginWrite());
    ASSIGN_OR_RETURN(auto current, SecretTable::Get(*txn, seen.account, seen.region, seen.name));
    if (!current || current->arn != seen.arn) return SecretNotFound();
    if (req.contains("Description")) current->description = req.at("Description").get<std::string>();
    if (req.contains("KmsKeyId")) current->kms_key_id = req.at("KmsKeyId").get<std::string>();
    for (auto& [vid, sealed] : rewrapped) {
      RETURN_IF_ERROR(SecretTable::PutValue(*txn, current->arn, vid, sealed));
      auto& arns = current->versions[vid].kms_key_arns;
      arns.clear();
      for (const auto& k : sealed.keys) arns.push_back(k.key_arn);
    }
    current->last_changed_ms = NowMs();
    RETURN_IF_ERROR(SecretTable::Put(*txn, *current));
    RETURN_IF_ERROR(txn->Commit());
    seen = std::move(*current);
  }
  Json out = {{"ARN", seen.arn}, {"Name", seen.name}};
  if (value) {
    std::string token = req.value("ClientRequestToken", "");
    if (token.empty()) {
      ASSIGN_OR_RETURN(token, NewVersionId());
    }
    ASSIGN_OR_RETURN(Json written, WriteVersion(c, seen, token, *value, {std::string(kCurrent)}));
    out["VersionId"] = written.at("VersionId");
  } else if (!seen.replicas.empty()) {
    RETURN_IF_ERROR(SyncReplicas(c, seen.name, seen.region));
  }
  return out;
}

StatusOr<Json> SecretsService::DeleteSecret(const Caller& c, const Json& req) {
  const bool force = req.value("ForceDeleteWithoutRecovery", false);
  if (force && req.contains("RecoveryWindowInDays")) {
    return InvalidParameter(
        "You can't use ForceDeleteWithoutRecovery in conjunction with RecoveryWindowInDays.");
  }
  const std::int64_t days = req.value("RecoveryWindowInDays", 30);
  if (!force && (days < 7 || days > 30)) {
    return InvalidParameter("The RecoveryWindowInDays value must be between 7 and 30 days (inclusive).");
  }
  ASSIGN_OR_RETURN(auto txn, store_.BeginWrite());
  ASSIGN_OR_RETURN(SecretRecord r, Resolve(*txn, c, req.at("SecretId").get<std::string>(), "DeleteSecret"));
  if (!r.replicas.empty()) {
    std::string regions;
    for (const auto& rep : r.replicas) regions += (regions.empty() ? "" : ", ") + rep.region;
    return InvalidRequest("You can't delete secret " + r.name + " that still has replica regions [" +
                          regions + "]");
  }
  if (r.scheduled_for_deletion() && !force) {
    return InvalidRequest("You tried to perform the operation on a secret that's currently marked deleted.");
  }
  const std::int64_t now = NowMs();
  Json out = {{"ARN", r.arn}, {"Name", r.name}};
  if (force) {
    RETURN_IF_ERROR(SecretTable::Remove(*txn, r));
    out["DeletionDate"] = static_cast<double>(now) / 1000.0;
  } else {
    r.deleted_ms = now;
    r.deletion_ms = now + days * kDayMs;
    RETURN_IF_ERROR(SecretTable::Put(*txn, r));
    out["DeletionDate"] = static_cast<double>(r.deletion_ms) / 1000.0;
  }
  RETURN_IF_ERROR(txn->Commit());
  if (r.is_replica()) {
    // A replica deleted on its own leaves the primary's list.
    ASSIGN_OR_RETURN(auto w, store_.BeginWrite());
    ASSIGN_OR_RETURN(auto primary, SecretTable::Get(*w, r.account, r.primary_region, r.name));
    if (primary) {
      std::erase_if(primary->replicas, [&](const Replica& rep) { return rep.region == r.region; });
      RETURN_IF_ERROR(SecretTable::Put(*w, *primary));
      RETURN_IF_ERROR(w->Commit());
    }
  }
  return out;
}

StatusOr<Json> SecretsService::RestoreSecret(const Caller& c, const Json& req) {
  ASSIGN_OR_RETURN(auto txn, store_.BeginWrite());
  ASSIGN_OR_RETURN(SecretRecord r, Resolve(*txn, c, req.at("SecretId").get<std::string>(), "RestoreSecret"));
  r.deleted_ms = 0;
  r.deletion_ms = 0;
  RETURN_IF_ERROR(SecretTable::Put(*txn, r));
  RETURN_IF_ERROR(txn->Commit());
  return Json{{"ARN", r.arn}, {"Name", r.name}};
}

StatusOr<Json> SecretsService::ListSecrets(const Caller& c, const Json& req) {
  RETURN_IF_ERROR(Authorize(c, "ListSecrets", "*", nullptr));
  const Json filters = req.value("Filters", Json::array());
  for (const auto& f : filters) {
    if (!f.contains("Values") && f.value("Key", "") != "all") {
      return InvalidParameter("Invalid filter: a filter must have Values.");
    }
  }
  ASSIGN_OR_RETURN(auto txn, store_.BeginRead());
  ASSIGN_OR_RETURN(auto all, SecretTable::List(*txn, c.account, c.region));
  RETURN_IF_ERROR(txn->Commit());
  const bool planned = req.value("IncludePlannedDeletion", false);
  std::vector<const SecretRecord*> hits;
  for (const auto& r : all) {
    if (r.scheduled_for_deletion() && !planned) continue;
    if (std::all_of(filters.begin(), filters.end(), [&](const Json& f) { return FilterMatches(r, f); })) {
      hits.push_back(&r);
    }
  }
  const std::string sort_by = req.value("SortBy", "created-date");
  auto key = [&](const SecretRecord* r) -> std::int64_t {
    if (sort_by == "last-accessed-date") return r->last_accessed_ms;
    if (sort_by == "last-changed-date") return r->last_changed_ms;
    return r->created_ms;
  };
  const bool desc = req.value("SortOrder", "asc") == "desc";
  std::stable_sort(hits.begin(), hits.end(), [&](const SecretRecord* a, const SecretRecord* b) {
    if (sort_by == "name") return desc ? a->name > b->name : a->name < b->name;
    if (key(a) != key(b)) return desc ? key(a) > key(b) : key(a) < key(b);
    return a->name < b->name;
  });
  std::size_t start = 0;
  if (req.contains("NextToken")) {
    std::optional<Bytes> raw = Base64Decode(req.at("NextToken").get<std::string>());
    const std::string text = raw ? std::string(AsChars(*raw)) : "";
    if (!text.starts_with("sm1:")) {
      return Status(ErrorCode::kInvalidNextToken, "The NextToken value is invalid.");
    }
    start = std::strtoull(text.c_str() + 4, nullptr, 10);
  }
  const std::size_t limit = req.value("MaxResults", 100);
  Json list = Json::array();
  for (std::size_t i = start; i < hits.size() && list.size() < limit; ++i)
    list.push_back(Describe(*hits[i], true));
  Json out = {{"SecretList", list}};
  if (start + limit < hits.size())
    out["NextToken"] = Base64Encode(AsBytes("sm1:" + std::to_string(start + limit)));
  return out;
}

StatusOr<Json> SecretsService::TagResource(const Caller& c, const Json& req) {
  const Json tags = req.at("Tags");
  RETURN_IF_ERROR(CheckTags(tags));
  policy::ContextKeys keys;
  AddRequestTags(tags, keys);
  SecretRecord r;
  {
    ASSIGN_OR_RETURN(auto txn, store_.BeginWrite());
    ASSIGN_OR_RETURN(r,
                     Resolve(*txn, c, req.at("SecretId").get<std::string>(), "TagResource", std::move(keys)));
    if (r.is_replica()) RETURN_IF_ERROR(CheckWritable(r));
    RETURN_IF_ERROR(MergeTags(r, tags));
    RETURN_IF_ERROR(SecretTable::Put(*txn, r));
    RETURN_IF_ERROR(txn->Commit());
  }
  if (!r.replicas.empty()) RETURN_IF_ERROR(SyncReplicas(c, r.name, r.region));
  return Json::object();
}

StatusOr<Json> SecretsService::UntagResource(const Caller& c, const Json& req) {
  const Json names = req.at("TagKeys");
  policy::ContextKeys keys;
  std::vector<std::string> list;
  for (const auto& k : names) {
    if (IsReservedTagKey(k.get<std::string>())) {
      return InvalidParameter("Invalid tag key: tag keys starting with 'aws:' are reserved for AWS use.");
    }
    list.push_back(k.get<std::string>());
  }
  keys.SetMulti("aws:TagKeys", list);
  SecretRecord r;
  {
    ASSIGN_OR_RETURN(auto txn, store_.BeginWrite());
    ASSIGN_OR_RETURN(
        r, Resolve(*txn, c, req.at("SecretId").get<std::string>(), "UntagResource", std::move(keys)));
    if (r.is_replica()) RETURN_IF_ERROR(CheckWritable(r));
    std::erase_if(r.tags,
                  [&](const auto& t) { return std::find(list.begin(), list.end(), t.first) != list.end(); });
    RETURN_IF_ERROR(SecretTable::Put(*txn, r));
    RETURN_IF_ERROR(txn->Commit());
  }
  if (!r.replicas.empty()) RETURN_IF_ERROR(SyncReplicas(c, r.name, r.region));
  return Json::object();
}

}  // namespace coffer::secrets

#include "s3/existing_tags.h"

#include <algorithm>
#include <cctype>

#include "s3/versions.h"

namespace coffer::s3 {
namespace {

constexpr std::string_view kPrefix = "s3:ExistingObjectTag/";

// The Service Authorization Reference lists the key on these actions.
constexpr std::string_view kActions[] = {
    "s3:GetObject",           "s3:GetObjectVersion",
    "s3:GetObjectAcl",        "s3:GetObjectVersionAcl",
    "s3:GetObjectTagging",    "s3:GetObjectVersionTagging",
    "s3:PutObjectAcl",        "s3:PutObjectVersionAcl",
    "s3:PutObjectTagging",    "s3:PutObjectVersionTagging",
    "s3:DeleteObjectTagging", "s3:DeleteObjectVersionTagging",
    "s3:GetObjectRetention",  "s3:GetObjectLegalHold",
    "s3:PutObjectRetention",  "s3:PutObjectLegalHold",
};

bool StartsWithIgnoreCase(std::string_view text, std::string_view prefix) {
  return text.size() >= prefix.size() &&
         std::equal(prefix.begin(), prefix.end(), text.begin(), [](char a, char b) {
           return std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b));
         });
}

}  // namespace

bool SupportsExistingObjectTag(std::string_view action) {
  return std::find(std::begin(kActions), std::end(kActions), action) != std::end(kActions);
}

bool ReadsExistingObjectTag(const policy::Policy& policy) {
  return std::any_of(policy.statements.begin(), policy.statements.end(), [](const policy::Statement& s) {
    return std::any_of(s.conditions.begin(), s.conditions.end(),
                       [](const policy::Condition& c) { return StartsWithIgnoreCase(c.key, kPrefix); });
  });
}

void AddExistingObjectTagKeys(const Tags& tags, policy::ContextKeys& keys) {
  for (const auto& [key, value] : tags) keys.Set(std::string(kPrefix) + key, value);
}

StatusOr<std::optional<Tags>> LoadExistingTags(store::Txn& txn, std::string_view bucket, std::string_view key,
                                               const std::string* version_id) {
  std::optional<ObjectRecord> object;
  if (version_id != nullptr) {
    ASSIGN_OR_RETURN(object, LoadVersion(txn, bucket, key, *version_id));
  } else {
    ASSIGN_OR_RETURN(object, LoadObject(txn, bucket, key));
  }
  if (!object || object->delete_marker) return std::optional<Tags>();
  return std::optional<Tags>(std::move(object->tags));
}

}  // namespace coffer::s3

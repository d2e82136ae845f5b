// PutParameter: names, types, tiers and their limits, AllowedPattern,
// DataType, policies, tags, and the 100-version history.
#include <regex>

#include "common/tags.h"
#include "ssm/envelope.h"
#include "ssm/errors.h"
#include "ssm/names.h"
#include "ssm/policies.h"
#include "ssm/service.h"
#include "ssm/table.h"

namespace coffer::ssm {
namespace {

constexpr std::size_t kMaxVersions = 100;
constexpr std::size_t kStandardValueMax = 4096;
constexpr std::size_t kAdvancedValueMax = 8192;
constexpr std::size_t kStandardCountMax = 10000;
constexpr std::size_t kAdvancedCountMax = 100000;
constexpr std::size_t kMaxTags = 50;

std::string Str(const Json& req, const char* member) {
  const auto it = req.find(member);
  return it != req.end() && it->is_string() ? it->get<std::string>() : std::string();
}

Status CheckDataType(const std::string& data_type, const std::string& type, const std::string& value) {
  if (data_type != "text" && data_type != "aws:ec2:image" && data_type != "aws:ssm:integration") {
    return Invalid("The following data type is not supported: " + data_type +
                   " (Data type names are all lowercase.)");
  }
  if (data_type == "aws:ec2:image") {
    if (type != "String") {
      return SsmError("UnsupportedParameterType",
                      "The aws:ec2:image data type is only supported for parameters of type String.");
    }
    static const std::regex kAmi("^ami-([0-9a-f]{8}|[0-9a-f]{17})$");
    if (!std::regex_match(value, kAmi)) {
      return Invalid(
          "Invalid format for the aws:ec2:image data type: the value must be an AMI ID such as "
          "ami-12345678 or ami-1234567890abcdef0.");
    }
  }
  return Status::Ok();
}

Status CheckPattern(const std::string& pattern, const std::string& value) {
  if (pattern.empty()) return Status::Ok();
  std::regex re;
  try {
    re = std::regex(pattern, std::regex::ECMAScript);
  } catch (const std::regex_error&) {
    return SsmError("InvalidAllowedPatternException", "The allowed pattern " + pattern + " is not valid.");
  }
  if (!std::regex_match(value, re)) {
    // The value itself never goes into the message.
    return SsmError("ParameterPatternMismatchException",
                    "Parameter value, cannot be validated against allowedPattern: " + pattern);
  }
  return Status::Ok();
}

Status TierTooSmall(std::size_t max) {
  if (max == kStandardValueMax) {
    return Invalid(
        "Standard tier parameters support a maximum parameter value of 4096 characters. To create a larger "
        "parameter value, upgrade the parameter to use the advanced-parameter tier. For more information, "
        "see "
        "https://docs.aws.amazon.com/systems-manager/latest/userguide/"
        "parameter-store-advanced-parameters.html");
  }
  return Invalid("Advanced tier parameters support a maximum parameter value of 8192 characters.");
}

}  // namespace

StatusOr<Json> ParameterStore::PutParameter(const Caller& c, const Json& req) {
  const std::string name = NameFromId(Str(req, "Name"));
  RETURN_IF_ERROR(CheckNewName(name));
  RETURN_IF_ERROR(Authorize(c, "PutParameter", name, nullptr));
  const std::string value = Str(req, "Value");
  const bool overwrite = req.value("Overwrite", false);
  const bool has_tags = req.contains("Tags") && !req["Tags"].empty();

  ASSIGN_OR_RETURN(auto rtxn, store_.BeginRead());
  ASSIGN_OR_RETURN(auto existing, ParameterTable::Get(*rtxn, c.account, c.region, name));
  ASSIGN_OR_RETURN(std::string default_tier, DefaultTier(*rtxn, c));
  RETURN_IF_ERROR(rtxn->Commit());

  if (existing && !overwrite) {
    return SsmError("ParameterAlreadyExists",
                    "The parameter already exists. To overwrite this value, set the overwrite option in the "
                    "request to true.");
  }
  if (existing && has_tags) {
    return Invalid(
        "Invalid request: tags and overwrite can't be used together. To create a parameter with tags, please "
        "remove overwrite flag. To update tags for an existing parameter, please use AddTagsToResource or "
        "RemoveTagsFromResource.");
  }
  const ParameterVersion* prev = existing ? &existing->current() : nullptr;
  std::string type = Str(req, "Type");
  if (type.empty()) {
    if (prev == nullptr) return Invalid("A parameter type is required when you create a parameter.");
    type = prev->type;
  }
  if (prev != nullptr && type != prev->type) {
    return SsmError(
        "HierarchyTypeMismatchException",
        "The parameter type can't be changed: Parameter Store doesn't support changing a parameter "
        "type from " +
            prev->type + " to " + type + ". You must create a new, unique parameter.");
  }
  if (type != "String" && type != "StringList" && type != "SecureString") {
    return SsmError("UnsupportedParameterType", "The parameter type " + type + " is not supported.");
  }
  std::string key_id = Str(req, "KeyId");
  if (!key_id.empty() && type != "SecureString") {
    return Invalid("KeyId is required for SecureString type parameter only.");
  }
  if (type == "SecureString" && key_id.empty() && prev != nullptr) key_id = prev->key_id;

  ParameterVersion next;
  next.type = type;
  next.key_id = key_id;
  next.description = req.contains("Description") ? Str(req, "Description") : (prev ? prev->description : "");
  next.allowed_pattern =
      req.contains("AllowedPattern") ? Str(req, "AllowedPattern") : (prev ? prev->allowed_pattern : "");
  next.data_type = req.contains("DataType") ? Str(req, "DataType") : (prev ? prev->data_type : "text");
  next.policies = req.contains("Policies") ? Str(req, "Policies") : (prev ? prev->policies : "");
  next.modified_ms = NowMs();
  next.modified_user = c.who.caller.arn;
  RETURN_IF_ERROR(CheckPattern(next.allowed_pattern, value));
  RETURN_IF_ERROR(CheckDataType(next.data_type, type, value));
  std::vector<ParameterPolicy> policies;
  if (!next.policies.empty()) {
    ASSIGN_OR_RETURN(policies, ParsePolicies(next.policies));
  }

  // The tier: as asked, else the account's default; Intelligent-Tiering
  // picks Advanced only when the value or the policies need it.
  std::string tier = req.contains("Tier") ? Str(req, "Tier") : default_tier;
  if (tier == "Intelligent-Tiering") {
    const bool needs_advanced = value.size() > kStandardValueMax || !policies.empty() ||
                                (prev != nullptr && prev->tier == "Advanced");
    tier = needs_advanced ? "Advanced" : "Standard";
  }
  if (prev != nullptr && prev->tier == "Advanced" && tier == "Standard") {
    return Invalid(
        "This parameter uses the advanced-parameter tier. You can't downgrade a parameter from the "
        "advanced-parameter tier to the standard-parameter tier. If necessary, you can delete the advanced "
        "parameter and recreate it as a standard parameter.");
  }
  const std::size_t max = tier == "Advanced" ? kAdvancedValueMax : kStandardValueMax;
  if (value.size() > max) return TierTooSmall(max);
  if (!policies.empty() && tier != "Advanced") {
    return Invalid(
        "Parameter policies are supported only for advanced-tier parameters. Set Tier to Advanced "
        "or Intelligent-Tiering.");
  }
  next.tier = tier;

  std::map<std::string, std::string> tags;
  if (has_tags) {
    if (req["Tags"].size() > kMaxTags) {
      return SsmError("TooManyTagsError", "The Tags parameter has too many tags: the limit is 50.");
    }
    for (const Json& t : req["Tags"]) {
      const std::string k = Str(t, "Key");
      if (IsReservedTagKey(k)) return Invalid("Tag keys beginning with aws: are reserved for AWS use.");
      tags[k] = Str(t, "Value");
    }
  }

  const std::string arn = ParameterArn(c.region, c.account, name);
  if (type == "SecureString") {
    // Advanced SecureStrings are envelope-encrypted (GenerateDataKey), as
    // AWS does for them; standard ones are a KMS Encrypt of the value.
    const bool envelope = tier == "Advanced";
    ASSIGN_OR_RETURN(next.value, Encrypt(c, key_id, arn, value, envelope));
    next.sealing = envelope ? std::string(kEnvelopeSealing) : "";
  } else {
    next.value = value;
  }

  ASSIGN_OR_RETURN(auto txn, store_.BeginWrite());
  ASSIGN_OR_RETURN(auto current, ParameterTable::Get(*txn, c.account, c.region, name));
  if (current.has_value() != existing.has_value() ||
      (current && current->last_version != existing->last_version)) {
    return SsmError("TooManyUpdates",
                    "There are concurrent updates for the resource that you tried to update.");
  }
  const bool tier_changes = !current || current->current().tier != tier;
  ParameterRecord r;
  if (current) {
    r = std::move(*current);
  } else {
    r.account = c.account;
    r.region = c.region;
    r.name = name;
    r.tags = std::move(tags);
  }
  if (tier_changes) {
    ASSIGN_OR_RETURN(std::size_t n, ParameterTable::CountTier(*txn, c.account, c.region, tier));
    const std::size_t limit = tier == "Advanced" ? kAdvancedCountMax : kStandardCountMax;
    if (n >= limit) {
      return SsmError("ParameterLimitExceeded",
                      "You have exceeded the number of parameters for this AWS account. Delete unnecessary "
                      "parameters and try again.");
    }
  }
  if (r.versions.size() >= kMaxVersions) {
    const ParameterVersion& oldest = r.versions.front();
    if (!oldest.labels.empty()) {
      return SsmError("ParameterMaxVersionLimitExceeded",
                      "You attempted to create a new version of " + name +
                          " by calling the PutParameter API with the overwrite flag. Version " +
                          std::to_string(oldest.version) +
                          ", the oldest version, can't be deleted because it has a label associated with it. "
                          "Move the label to another version of the parameter, and try again.");
    }
    r.versions.erase(r.versions.begin());
  }
  next.version = ++r.last_version;
  r.versions.push_back(std::move(next));
  r.notified.clear();
  RETURN_IF_ERROR(ParameterTable::Put(*txn, r));
  RETURN_IF_ERROR(txn->Commit());
  return Json{{"Version", r.last_version}, {"Tier", tier}};
}

}  // namespace coffer::ssm

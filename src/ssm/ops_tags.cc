// AddTagsToResource, RemoveTagsFromResource, ListTagsForResource for
// ResourceType Parameter (the only resource type this server has).
#include "common/tags.h"
#include "ssm/errors.h"
#include "ssm/names.h"
#include "ssm/service.h"
#include "ssm/table.h"

namespace coffer::ssm {
namespace {

constexpr std::size_t kMaxTags = 50;

Status CheckType(const Json& req) {
  if (req.value("ResourceType", "") != "Parameter") {
    return SsmError(
        "InvalidResourceType",
        "The resource type is not valid: this server supports tags on ResourceType Parameter only.");
  }
  return Status::Ok();
}

Status NoSuchResource() {
  return SsmError("InvalidResourceId", "The resource ID is not valid. Verify the ID and try again.");
}

}  // namespace

StatusOr<Json> ParameterStore::AddTagsToResource(const Caller& c, const Json& req) {
  RETURN_IF_ERROR(CheckType(req));
  const std::string name = NameFromId(req.value("ResourceId", ""));
  RETURN_IF_ERROR(Authorize(c, "AddTagsToResource", name, nullptr));
  for (const Json& t : req.value("Tags", Json::array())) {
    if (IsReservedTagKey(t.value("Key", ""))) {
      return Invalid("Tag keys beginning with aws: are reserved for AWS use.");
    }
  }
  ASSIGN_OR_RETURN(auto txn, store_.BeginWrite());
  std::optional<ParameterRecord> r;
  if (CheckName(name).ok()) {
    ASSIGN_OR_RETURN(r, ParameterTable::Get(*txn, c.account, c.region, name));
  }
  if (!r) return NoSuchResource();
  for (const Json& t : req.value("Tags", Json::array())) r->tags[t.value("Key", "")] = t.value("Value", "");
  if (r->tags.size() > kMaxTags) {
    return SsmError("TooManyTagsError",
                    "The Tags parameter has too many tags: a resource can have at most 50 tags.");
  }
  RETURN_IF_ERROR(ParameterTable::Put(*txn, *r));
  RETURN_IF_ERROR(txn->Commit());
  return Json::object();
}

StatusOr<Json> ParameterStore::RemoveTagsFromResource(const Caller& c, const Json& req) {
  RETURN_IF_ERROR(CheckType(req));
  const std::string name = NameFromId(req.value("ResourceId", ""));
  RETURN_IF_ERROR(Authorize(c, "RemoveTagsFromResource", name, nullptr));
  ASSIGN_OR_RETURN(auto txn, store_.BeginWrite());
  std::optional<ParameterRecord> r;
  if (CheckName(name).ok()) {
    ASSIGN_OR_RETURN(r, ParameterTable::Get(*txn, c.account, c.region, name));
  }
  if (!r) return NoSuchResource();
  for (const Json& k : req.value("TagKeys", Json::array())) r->tags.erase(k.get<std::string>());
  RETURN_IF_ERROR(ParameterTable::Put(*txn, *r));
  RETURN_IF_ERROR(txn->Commit());
  return Json::object();
}

StatusOr<Json> ParameterStore::ListTagsForResource(const Caller& c, const Json& req) {
  RETURN_IF_ERROR(CheckType(req));
  const std::string name = NameFromId(req.value("ResourceId", ""));
  RETURN_IF_ERROR(Authorize(c, "ListTagsForResource", name, nullptr));
  ASSIGN_OR_RETURN(auto txn, store_.BeginRead());
  std::optional<ParameterRecord> r;
  if (CheckName(name).ok()) {
    ASSIGN_OR_RETURN(r, ParameterTable::Get(*txn, c.account, c.region, name));
  }
  RETURN_IF_ERROR(txn->Commit());
  if (!r) return NoSuchResource();
  Json list = Json::array();
  for (const auto& [k, v] : r->tags) list.push_back({{"Key", k}, {"Value", v}});
  return Json{{"TagList", list}};
}

}  // namespace coffer::ssm

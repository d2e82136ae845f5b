#include "s3/tagging.h"

#include <pugixml.hpp>

#include "common/tags.h"
#include "s3/errors.h"
#include "s3/uri.h"
#include "s3/xml.h"

namespace coffer::s3 {
namespace {

Status InvalidTag(std::string message) { return S3Error("InvalidTag", std::move(message)); }

Status AddTag(Tags& tags, std::string key, std::string value, std::size_t max_tags) {
  if (key.empty() || key.size() > 128) return InvalidTag("The TagKey you have provided is invalid");
  if (value.size() > 256) return InvalidTag("The TagValue you have provided is invalid");
  if (IsReservedTagKey(key)) return InvalidTag("Your TagKey cannot be prefixed with aws:");
  if (tags.contains(key)) return InvalidTag("Cannot provide multiple Tags with the same key");
  if (tags.size() >= max_tags)
    return InvalidTag("Object tags cannot be greater than " + std::to_string(max_tags));
  tags.emplace(std::move(key), std::move(value));
  return Status::Ok();
}

}  // namespace

StatusOr<Tags> ParseTaggingXml(std::string_view body, std::size_t max_tags) {
  ASSIGN_OR_RETURN(XmlDoc doc, XmlDoc::Parse(body));
  ASSIGN_OR_RETURN(pugi::xml_node root, doc.Root("Tagging"));
  if (!HasChild(root, "TagSet")) return MalformedXml();
  Tags tags;
  for (const auto& set : Children(root, "TagSet")) {
    for (const auto& tag : Children(set, "Tag")) {
      if (!HasChild(tag, "Key") || !HasChild(tag, "Value")) return MalformedXml();
      RETURN_IF_ERROR(AddTag(tags, ChildText(tag, "Key"), ChildText(tag, "Value"), max_tags));
    }
  }
  return tags;
}

StatusOr<Tags> ParseTaggingHeader(std::string_view header, std::size_t max_tags) {
  Tags tags;
  if (header.empty()) return tags;
  for (const auto& [key, value] : ParseQuery(header)) {
    RETURN_IF_ERROR(AddTag(tags, key, value, max_tags));
  }
  return tags;
}

std::string TaggingXml(const Tags& tags) {
  XmlOut xml("Tagging");
  xml.Open("TagSet");
  for (const auto& [k, v] : tags) xml.Open("Tag").Leaf("Key", k).Leaf("Value", v).Close();
  return xml.Close().Finish();
}

}  // namespace coffer::s3

// S3's XML: a small writer for responses (escaped text, no DOM) and parsing
// of request bodies through pugixml, with S3's MalformedXML on any failure.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/status_or.h"

namespace pugi {
class xml_document;
class xml_node;
}  // namespace pugi

namespace coffer::s3 {

inline constexpr std::string_view kS3Namespace = "http://s3.amazonaws.com/doc/2006-03-01/";

class XmlOut {
 public:
  // Starts the document with `root` (xmlns set when given).
  explicit XmlOut(std::string_view root, std::string_view xmlns = kS3Namespace);
  // A fragment: elements without a declaration or root, for splicing with Raw.
  static XmlOut Fragment();
  // Appends already-escaped XML (a Fragment's text).
  XmlOut& Raw(std::string_view xml);
  XmlOut& Open(std::string_view name);
  XmlOut& Close();
  XmlOut& Leaf(std::string_view name, std::string_view text);
  XmlOut& Leaf(std::string_view name, std::uint64_t number);
  // Closes what is open and returns the text.
  std::string Finish();

 private:
  XmlOut() = default;
  std::string out_;
  std::vector<std::string> open_;
};

void AppendXmlEscaped(std::string_view text, std::string& out);

// A parsed request body. Element look-ups ignore namespaces, as S3 does.
class XmlDoc {
 public:
  ~XmlDoc();
  XmlDoc(XmlDoc&&) noexcept;
  static StatusOr<XmlDoc> Parse(std::string_view text);
  // The root element; its name must be `expected` or MalformedXML.
  StatusOr<pugi::xml_node> Root(std::string_view expected) const;

 private:
  XmlDoc();
  std::unique_ptr<pugi::xml_document> doc_;
};

// Child element text, and the child elements with a name (namespace prefixes ignored).
std::string ChildText(const pugi::xml_node& node, std::string_view name);
bool HasChild(const pugi::xml_node& node, std::string_view name);
std::vector<pugi::xml_node> Children(const pugi::xml_node& node, std::string_view name);

}  // namespace coffer::s3

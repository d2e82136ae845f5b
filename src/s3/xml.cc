#include "s3/xml.h"

#include <charconv>
#include <pugixml.hpp>

#include "s3/errors.h"

namespace coffer::s3 {
namespace {

std::string_view LocalName(std::string_view qualified) {
  const auto colon = qualified.find(':');
  return colon == std::string_view::npos ? qualified : qualified.substr(colon + 1);
}

}  // namespace

void AppendXmlEscaped(std::string_view text, std::string& out) {
  for (const char c : text) {
    switch (c) {
      case '&':
        out.append("&amp;");
        break;
      case '<':
        out.append("&lt;");
        break;
      case '>':
        out.append("&gt;");
        break;
      case '"':
        out.append("&quot;");
        break;
      case '\'':
        out.append("&apos;");
        break;
      case '\r':
        out.append("&#13;");
        break;
      case '\n':
        out.append("&#10;");
        break;
      default:
        out.push_back(c);
    }
  }
}

XmlOut::XmlOut(std::string_view root, std::string_view xmlns) {
  out_.reserve(512);
  out_.append("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<").append(root);
  if (!xmlns.empty()) out_.append(" xmlns=\"").append(xmlns).append("\"");
  out_.push_back('>');
  open_.emplace_back(root);
}

XmlOut XmlOut::Fragment() { return XmlOut(); }

XmlOut& XmlOut::Raw(std::string_view xml) {
  out_.append(xml);
  return *this;
}

XmlOut& XmlOut::Open(std::string_view name) {
  out_.append("<").append(name).append(">");
  open_.emplace_back(name);
  return *this;
}

XmlOut& XmlOut::Close() {
  if (open_.empty()) return *this;
  out_.append("</").append(open_.back()).append(">");
  open_.pop_back();
  return *this;
}

XmlOut& XmlOut::Leaf(std::string_view name, std::string_view text) {
  out_.append("<").append(name).append(">");
  AppendXmlEscaped(text, out_);
  out_.append("</").append(name).append(">");
  return *this;
}

XmlOut& XmlOut::Leaf(std::string_view name, std::uint64_t number) {
  char digits[24];
  const auto end = std::to_chars(digits, digits + sizeof(digits), number).ptr;
  return Leaf(name, std::string_view(digits, static_cast<std::size_t>(end - digits)));
}

std::string XmlOut::Finish() {
  while (!open_.empty()) Close();
  return std::move(out_);
}

XmlDoc::XmlDoc() : doc_(std::make_unique<pugi::xml_document>()) {}
XmlDoc::~XmlDoc() = default;
XmlDoc::XmlDoc(XmlDoc&&) noexcept = default;

StatusOr<XmlDoc> XmlDoc::Parse(std::string_view text) {
  XmlDoc doc;
  // No DOCTYPE processing: pugixml never fetches entities; parse_default
  // leaves out DTD parsing.
  const pugi::xml_parse_result result = doc.doc_->load_buffer(text.data(), text.size(), pugi::parse_default);
  if (!result) return MalformedXml();
  return doc;
}

StatusOr<pugi::xml_node> XmlDoc::Root(std::string_view expected) const {
  const pugi::xml_node root = doc_->document_element();
  if (!root || LocalName(root.name()) != expected) return MalformedXml();
  return root;
}

std::string ChildText(const pugi::xml_node& node, std::string_view name) {
  for (const pugi::xml_node child : node.children()) {
    if (child.type() == pugi::node_element && LocalName(child.name()) == name)
      return child.text().as_string();
  }
  return {};
}

bool HasChild(const pugi::xml_node& node, std::string_view name) {
  for (const pugi::xml_node child : node.children()) {
    if (child.type() == pugi::node_element && LocalName(child.name()) == name) return true;
  }
  return false;
}

std::vector<pugi::xml_node> Children(const pugi::xml_node& node, std::string_view name) {
  std::vector<pugi::xml_node> out;
  for (const pugi::xml_node child : node.children()) {
    if (child.type() == pugi::node_element && LocalName(child.name()) == name) out.push_back(child);
  }
  return out;
}

}  // namespace coffer::s3

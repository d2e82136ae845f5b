#include "common/json_parse.h"

#include <simdjson.h>

namespace coffer {
namespace {

using nlohmann::json;

// Recurses once per nesting level; simdjson refuses documents nested deeper
// than its default limit (1024), and those go to nlohmann instead.
json Convert(simdjson::dom::element element) {
  using Type = simdjson::dom::element_type;
  switch (element.type()) {
    case Type::OBJECT: {
      json out = json::object();
      for (auto field : simdjson::dom::object(element)) {
        out[std::string(field.key)] = Convert(field.value);  // a repeated key: the last wins, as in nlohmann
      }
      return out;
    }
    case Type::ARRAY: {
      json out = json::array();
      for (auto child : simdjson::dom::array(element)) out.push_back(Convert(child));
      return out;
    }
    case Type::STRING:
      return json(std::string(std::string_view(element)));
    case Type::INT64:
      return json(std::int64_t(element));
    case Type::UINT64:
      return json(std::uint64_t(element));
    case Type::DOUBLE:
      return json(double(element));
    case Type::BOOL:
      return json(bool(element));
    case Type::NULL_VALUE:
      return json(nullptr);
  }
  return json(nullptr);
}

simdjson::dom::parser& ThreadParser() {
  thread_local simdjson::dom::parser parser(/*max_capacity=*/simdjson::SIMDJSON_MAXSIZE_BYTES);
  return parser;
}

std::optional<json> ParseWithNlohmann(std::string_view text) {
  json value = json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (value.is_discarded()) return std::nullopt;
  return value;
}

}  // namespace

std::optional<json> ParseJson(std::string_view text) {
  simdjson::dom::parser& parser = ThreadParser();
  simdjson::dom::element root;
  if (parser.parse(text.data(), text.size(), /*realloc_if_needed=*/true).get(root) != simdjson::SUCCESS) {
    return ParseWithNlohmann(text);
  }
  return Convert(root);
}

}  // namespace coffer

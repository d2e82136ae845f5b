#include "common/json_parse.h"

#include <simdjson.h>

#include "common/simdjson_convert.h"

namespace coffer {
namespace {

using nlohmann::json;

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
  return internal::FromSimdjson(root);
}

}  // namespace coffer

// A simdjson DOM element copied into an nlohmann value: the one converter
// behind JsonView::ToNlohmann and ParseJson. Internal to src/common (it
// includes simdjson, which the rest of the code does not see).
#pragma once

#include <simdjson.h>

#include <nlohmann/json.hpp>

namespace coffer::internal {

// Recurses once per nesting level (simdjson refuses documents nested deeper
// than 1024 levels; those are parsed by nlohmann instead). A repeated key:
// the last wins, as in nlohmann.
nlohmann::json FromSimdjson(const simdjson::dom::element& e);

}  // namespace coffer::internal

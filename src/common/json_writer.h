// Compact JSON serialisation for responses, equivalent to
// nlohmann::json::dump(-1, ' ', false, error_handler_t::replace) but without
// its per-character output path: strings that need no escaping (base64, ARNs,
// ids: nearly every response member) are copied in one append.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace coffer {

// Bytes that are not UTF-8 are replaced with U+FFFD, never thrown on.
std::string WriteJson(const nlohmann::json& value);

// Appends one JSON string literal (quoted, escaped) for `text`.
void AppendJsonString(std::string_view text, std::string& out);

}  // namespace coffer

// JSON parsing into an nlohmann::json value: simdjson's validating parser (JsonDocument) builds the
// nlohmann::json value the service code reads. Acceptance is exactly
// nlohmann::json::parse's (strict RFC 8259, UTF-8 checked): a document
// simdjson refuses is handed to nlohmann for the final word, so the rare
// cases where the two differ (integers beyond 64 bits, which nlohmann reads
// as floats) keep nlohmann's answer; the common case skips nlohmann's
// character-at-a-time lexer.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string_view>

namespace coffer {

// The parsed document, or nullopt when `text` is not valid JSON.
std::optional<nlohmann::json> ParseJson(std::string_view text);

}  // namespace coffer

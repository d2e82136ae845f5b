#include "common/json_parse.h"

#include "common/json_view.h"

namespace coffer {

std::optional<nlohmann::json> ParseJson(std::string_view text) {
  thread_local JsonDocument document;
  if (!document.Parse(text)) return std::nullopt;
  return document.root().ToNlohmann();
}

}  // namespace coffer

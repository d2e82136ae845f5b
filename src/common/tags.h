// Tag rules shared by every service that takes tags (KMS, IAM, S3, Secrets
// Manager, Parameter Store). Each service maps a refusal to its own error name.
#pragma once

#include <string_view>

namespace coffer {

// AWS reserves the "aws:" prefix for tag keys in every letter case ("aws:",
// "AWS:", "Aws:" ...); users may not create or change such tags.
constexpr bool IsReservedTagKey(std::string_view key) {
  constexpr std::string_view kPrefix = "aws:";
  if (key.size() < kPrefix.size()) return false;
  for (std::size_t i = 0; i < kPrefix.size(); ++i) {
    char c = key[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != kPrefix[i]) return false;
  }
  return true;
}

}  // namespace coffer

// Parameter names, paths, labels and ARNs as Parameter Store defines them.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "common/status.h"

namespace coffer::ssm {

inline constexpr int kMaxHierarchyLevels = 15;

// A name as PutParameter accepts it: letters, digits, "_.-/", no "aws"/"ssm"
// prefix, a path starts with "/" and has at most 15 levels.
Status CheckNewName(std::string_view name);
// Any name a read may use (no prefix rule; the reference paths are names too).
Status CheckName(std::string_view name);
// A GetParametersByPath path ("/" or "/a/b", trailing slash allowed).
Status CheckPath(std::string_view path);
// The name an ARN or a name refers to (ARNs of this account/region), or the name as given.
std::string NameFromId(std::string_view id);
// "arn:aws:ssm:<region>:<account>:parameter/<name without leading slash>".
std::string ParameterArn(std::string_view region, std::string_view account, std::string_view name);
// Levels of a name: "/a/b/c" and "a" are 3 and 1.
int LevelsOf(std::string_view name);
// Whether `label` is a valid version label: at most 100 of letters, digits
// and "_.-", not starting with a digit or "aws"/"ssm" (case-insensitive).
bool ValidLabel(std::string_view label);

// "name", "name:3" or "name:label".
struct Selector {
  std::string name;
  std::optional<std::int64_t> version;
  std::string label;
  std::string text;  // ":3" / ":label", empty without a selector
};
std::optional<Selector> ParseSelector(std::string_view text);

}  // namespace coffer::ssm

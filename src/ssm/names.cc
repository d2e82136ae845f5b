#include "ssm/names.h"

#include <algorithm>
#include <cctype>

#include "ssm/errors.h"

namespace coffer::ssm {
namespace {

constexpr std::string_view kNameRule =
    "Parameter name: can't be prefixed with \"aws\" or \"ssm\" (case-insensitive). If formed as a path, it "
    "can consist of sub-paths divided by slash symbol; each sub-path can be formed as a mix of letters, "
    "numbers and the following 3 symbols .-_";

bool NameChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-' || c == '/';
}

bool StartsWithNoCase(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(s[i])) != prefix[i]) return false;
  }
  return true;
}

}  // namespace

int LevelsOf(std::string_view name) {
  const auto slashes = std::count(name.begin(), name.end(), '/');
  if (!name.empty() && name.front() == '/') return static_cast<int>(slashes);
  return static_cast<int>(slashes) + 1;
}

Status CheckName(std::string_view name) {
  if (name.empty() || name.size() > 2048 || !std::all_of(name.begin(), name.end(), NameChar)) {
    return Invalid(std::string(kNameRule));
  }
  if (name.find("//") != std::string_view::npos || (name.size() > 1 && name.back() == '/')) {
    return Invalid(std::string(kNameRule));
  }
  return Status::Ok();
}

Status CheckNewName(std::string_view name) {
  RETURN_IF_ERROR(CheckName(name));
  if (name.size() > 1011) {
    return Invalid("Parameter name can't be longer than 1011 characters.");
  }
  if (name.find('/') != std::string_view::npos && name.front() != '/') {
    return Invalid("Parameter name must be a fully qualified name.");
  }
  std::string_view first = name.front() == '/' ? name.substr(1) : name;
  if (StartsWithNoCase(first, "aws") || StartsWithNoCase(first, "ssm")) {
    return Invalid(std::string(kNameRule));
  }
  if (LevelsOf(name) > kMaxHierarchyLevels) {
    return SsmError("HierarchyLevelLimitExceededException",
                    "A hierarchy can have a maximum of 15 levels. For more information, see "
                    "https://docs.aws.amazon.com/systems-manager/latest/userguide/"
                    "sysman-paramstore-su-create.html");
  }
  return Status::Ok();
}

Status CheckPath(std::string_view path) {
  if (path.empty() || path.front() != '/' || path.find("//") != std::string_view::npos ||
      !std::all_of(path.begin(), path.end(), NameChar)) {
    return Invalid(
        "The parameter doesn't meet the parameter name requirements. The parameter name must begin "
        "with a forward slash \"/\". It can't be prefixed with \"aws\" or \"ssm\" "
        "(case-insensitive). It must use only letters, numbers, or the following symbols: . "
        "(period), - (hyphen), _ (underscore). Special characters are not allowed. All sub-paths, "
        "if specified, must use the forward slash symbol \"/\". Valid example: /get/parameters2-/by1./"
        "path0_.");
  }
  std::string_view trimmed = path.size() > 1 && path.back() == '/' ? path.substr(0, path.size() - 1) : path;
  if (trimmed != "/" && LevelsOf(trimmed) > kMaxHierarchyLevels) {
    return SsmError("HierarchyLevelLimitExceededException", "A hierarchy can have a maximum of 15 levels.");
  }
  return Status::Ok();
}

std::string NameFromId(std::string_view id) {
  if (!id.starts_with("arn:")) return std::string(id);
  const auto at = id.find(":parameter/");
  if (at == std::string_view::npos) return std::string(id);
  std::string_view rest = id.substr(at + 11);
  // A hierarchical name keeps its leading slash: the ARN drops it.
  if (rest.find('/') != std::string_view::npos) return "/" + std::string(rest);
  return std::string(rest);
}

std::string ParameterArn(std::string_view region, std::string_view account, std::string_view name) {
  std::string_view bare = !name.empty() && name.front() == '/' ? name.substr(1) : name;
  return "arn:aws:ssm:" + std::string(region) + ":" + std::string(account) + ":parameter/" +
         std::string(bare);
}

bool ValidLabel(std::string_view label) {
  if (label.empty() || label.size() > 100) return false;
  if (std::isdigit(static_cast<unsigned char>(label.front()))) return false;
  if (StartsWithNoCase(label, "aws") || StartsWithNoCase(label, "ssm")) return false;
  return std::all_of(label.begin(), label.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-';
  });
}

std::optional<Selector> ParseSelector(std::string_view text) {
  Selector s;
  const auto colon = text.rfind(':');
  if (colon == std::string_view::npos || text.starts_with("arn:")) {
    // ARNs contain colons; a selector follows the resource part only.
    if (text.starts_with("arn:")) {
      const auto res = text.find(":parameter/");
      const auto sel = res == std::string_view::npos ? std::string_view::npos : text.find(':', res + 11);
      if (sel != std::string_view::npos) {
        s.name = NameFromId(text.substr(0, sel));
        std::string_view tail = text.substr(sel + 1);
        if (tail.empty()) return std::nullopt;
        s.text = ":" + std::string(tail);
        if (std::all_of(tail.begin(), tail.end(),
                        [](char c) { return std::isdigit(static_cast<unsigned char>(c)); })) {
          s.version = std::stoll(std::string(tail.substr(0, 18)));
        } else {
          s.label = std::string(tail);
        }
        return s;
      }
    }
    s.name = NameFromId(text);
    return s;
  }
  s.name = std::string(text.substr(0, colon));
  std::string_view tail = text.substr(colon + 1);
  if (tail.empty() || s.name.empty()) return std::nullopt;
  s.text = ":" + std::string(tail);
  if (std::all_of(tail.begin(), tail.end(),
                  [](char c) { return std::isdigit(static_cast<unsigned char>(c)); })) {
    if (tail.size() > 18) return std::nullopt;
    s.version = std::stoll(std::string(tail));
  } else {
    s.label = std::string(tail);
  }
  return s;
}

}  // namespace coffer::ssm

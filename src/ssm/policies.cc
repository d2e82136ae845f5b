#include "ssm/policies.h"

#include <charconv>
#include <ctime>

#include "common/json_parse.h"
#include "ssm/errors.h"

namespace coffer::ssm {
namespace {

constexpr std::size_t kMaxPolicies = 10;

Status BadAttribute(std::string message) {
  return SsmError("InvalidPolicyAttributeException", std::move(message));
}

StatusOr<std::int64_t> Amount(const nlohmann::json& attrs, const char* member) {
  const auto it = attrs.find(member);
  if (it == attrs.end() || !it->is_string()) {
    return BadAttribute(std::string("A policy attribute or its value is invalid: ") + member +
                        " is required.");
  }
  const std::string& s = it->get_ref<const std::string&>();
  std::int64_t n = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
  if (ec != std::errc() || p != s.data() + s.size() || n <= 0 || n > 100000) {
    return BadAttribute(std::string("A policy attribute or its value is invalid: ") + member + ".");
  }
  std::string unit = attrs.value("Unit", "Days");
  std::int64_t per = 0;
  if (unit == "Days") per = 86400000;
  if (unit == "Hours") per = 3600000;
  if (per == 0)
    return BadAttribute("A policy attribute or its value is invalid: Unit must be Days or Hours.");
  return n * per;
}

}  // namespace

std::optional<std::int64_t> ParseTimestamp(std::string_view text) {
  std::tm tm{};
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0;
  std::string t(text);
  if (std::sscanf(t.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d", &y, &mo, &d, &h, &mi, &s) != 6) return std::nullopt;
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60) return std::nullopt;
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = s;
  std::int64_t ms = static_cast<std::int64_t>(timegm(&tm)) * 1000;
  std::size_t i = 19;
  if (i < t.size() && t[i] == '.') {
    ++i;
    int digits = 0, frac = 0;
    while (i < t.size() && std::isdigit(static_cast<unsigned char>(t[i]))) {
      if (digits < 3) frac = frac * 10 + (t[i] - '0'), ++digits;
      ++i;
    }
    while (digits < 3) frac *= 10, ++digits;
    ms += frac;
  }
  if (i < t.size() && (t[i] == '+' || t[i] == '-') && i + 6 <= t.size()) {
    const int oh = std::atoi(t.substr(i + 1, 2).c_str());
    const int om = std::atoi(t.substr(i + 4, 2).c_str());
    const std::int64_t off = (oh * 60 + om) * 60000LL;
    ms += t[i] == '+' ? -off : off;
    i += 6;
  } else if (i < t.size() && t[i] == 'Z') {
    ++i;
  }
  if (i != t.size()) return std::nullopt;
  return ms;
}

StatusOr<std::vector<ParameterPolicy>> ParsePolicies(std::string_view text) {
  std::optional<nlohmann::json> j = ParseJson(text);
  if (!j || !j->is_array()) {
    return SsmError("InvalidPolicyTypeException",
                    "The policy type is not supported. Parameter Store supports the following policy types: "
                    "Expiration, ExpirationNotification, and NoChangeNotification.");
  }
  if (j->size() > kMaxPolicies) {
    return SsmError("PoliciesLimitExceededException",
                    "You specified more than the maximum number of allowed policies for the parameter. The "
                    "maximum is 10.");
  }
  std::vector<ParameterPolicy> out;
  bool seen_expiration = false;
  for (const nlohmann::json& p : *j) {
    if (!p.is_object() || !p.contains("Type") || !p["Type"].is_string()) {
      return SsmError(
          "InvalidPolicyTypeException",
          "The policy type is not supported. Parameter Store supports the following policy types: "
          "Expiration, ExpirationNotification, and NoChangeNotification.");
    }
    ParameterPolicy policy;
    policy.type = p["Type"].get<std::string>();
    policy.text = p.dump();
    const nlohmann::json attrs = p.value("Attributes", nlohmann::json::object());
    if (!attrs.is_object()) return BadAttribute("A policy attribute or its value is invalid.");
    if (p.value("Version", "1.0") != "1.0") {
      return SsmError("InvalidPolicyTypeException", "The policy version is not supported: use 1.0.");
    }
    if (policy.type == "Expiration") {
      if (seen_expiration) return BadAttribute("A parameter can have only one Expiration policy.");
      seen_expiration = true;
      const auto ts = attrs.find("Timestamp");
      std::optional<std::int64_t> ms;
      if (ts != attrs.end() && ts->is_string()) ms = ParseTimestamp(ts->get<std::string>());
      if (!ms) {
        return BadAttribute(
            "A policy attribute or its value is invalid: Timestamp must be an ISO 8601 date and time, for "
            "example 2020-05-13T00:00:00.000Z.");
      }
      policy.expires_ms = *ms;
    } else if (policy.type == "ExpirationNotification") {
      ASSIGN_OR_RETURN(policy.amount_ms, Amount(attrs, "Before"));
    } else if (policy.type == "NoChangeNotification") {
      ASSIGN_OR_RETURN(policy.amount_ms, Amount(attrs, "After"));
    } else {
      return SsmError(
          "InvalidPolicyTypeException",
          "The policy type is not supported. Parameter Store supports the following policy types: "
          "Expiration, ExpirationNotification, and NoChangeNotification.");
    }
    out.push_back(std::move(policy));
  }
  return out;
}

}  // namespace coffer::ssm

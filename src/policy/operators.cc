#include "policy/operators.h"

#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>

#include "policy/policy.h"

namespace coffer::policy::internal {
namespace {

constexpr std::array<OperatorInfo, 28> kOperators = {{
    {"StringEquals", OpFamily::kString, Compare::kEq, false},
    {"StringNotEquals", OpFamily::kString, Compare::kEq, true},
    {"StringEqualsIgnoreCase", OpFamily::kStringIgnoreCase, Compare::kEq, false},
    {"StringNotEqualsIgnoreCase", OpFamily::kStringIgnoreCase, Compare::kEq, true},
    {"StringLike", OpFamily::kStringLike, Compare::kEq, false},
    {"StringNotLike", OpFamily::kStringLike, Compare::kEq, true},
    {"NumericEquals", OpFamily::kNumeric, Compare::kEq, false},
    {"NumericNotEquals", OpFamily::kNumeric, Compare::kEq, true},
    {"NumericLessThan", OpFamily::kNumeric, Compare::kLt, false},
    {"NumericLessThanEquals", OpFamily::kNumeric, Compare::kLe, false},
    {"NumericGreaterThan", OpFamily::kNumeric, Compare::kGt, false},
    {"NumericGreaterThanEquals", OpFamily::kNumeric, Compare::kGe, false},
    {"DateEquals", OpFamily::kDate, Compare::kEq, false},
    {"DateNotEquals", OpFamily::kDate, Compare::kEq, true},
    {"DateLessThan", OpFamily::kDate, Compare::kLt, false},
    {"DateLessThanEquals", OpFamily::kDate, Compare::kLe, false},
    {"DateGreaterThan", OpFamily::kDate, Compare::kGt, false},
    {"DateGreaterThanEquals", OpFamily::kDate, Compare::kGe, false},
    {"Bool", OpFamily::kBool, Compare::kEq, false},
    {"BinaryEquals", OpFamily::kBinary, Compare::kEq, false},
    {"IpAddress", OpFamily::kIp, Compare::kEq, false},
    {"NotIpAddress", OpFamily::kIp, Compare::kEq, true},
    {"ArnEquals", OpFamily::kArn, Compare::kEq, false},
    {"ArnLike", OpFamily::kArn, Compare::kEq, false},
    {"ArnNotEquals", OpFamily::kArn, Compare::kEq, true},
    {"ArnNotLike", OpFamily::kArn, Compare::kEq, true},
    {"Null", OpFamily::kNull, Compare::kEq, false},
    {"", OpFamily::kNull, Compare::kEq, false},  // sentinel, never found
}};

std::optional<double> ParseNumber(std::string_view text) {
  if (text.empty() || text.size() > 64) return std::nullopt;
  double value = 0;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (ec != std::errc() || ptr != end || !std::isfinite(value)) return std::nullopt;
  return value;
}

bool CompareNumbers(Compare c, double a, double b) {
  switch (c) {
    case Compare::kEq:
      return a == b;
    case Compare::kLt:
      return a < b;
    case Compare::kLe:
      return a <= b;
    case Compare::kGt:
      return a > b;
    case Compare::kGe:
      return a >= b;
  }
  return false;
}

// Reads `n` decimal digits at `pos`.
std::optional<int> Digits(std::string_view s, std::size_t pos, std::size_t n) {
  if (pos + n > s.size()) return std::nullopt;
  int v = 0;
  for (std::size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return std::nullopt;
    v = v * 10 + (s[i] - '0');
  }
  return v;
}

// Days since 1970-01-01 of a civil date (Howard Hinnant's algorithm).
std::int64_t DaysFromCivil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

// "hh:mm[:ss[.fff]]" then "Z" | "+hh:mm" | "-hh:mm" | nothing (UTC).
std::optional<double> ParseTimeOfDay(std::string_view s) {
  auto h = Digits(s, 0, 2);
  auto mi = Digits(s, 3, 2);
  if (!h || !mi || s.size() < 5 || s[2] != ':' || *h > 23 || *mi > 59) return std::nullopt;
  double secs = *h * 3600.0 + *mi * 60.0;
  std::size_t pos = 5;
  if (pos < s.size() && s[pos] == ':') {
    auto sec = Digits(s, pos + 1, 2);
    if (!sec || *sec > 60) return std::nullopt;
    secs += *sec;
    pos += 3;
    if (pos < s.size() && s[pos] == '.') {
      std::size_t end = pos + 1;
      while (end < s.size() && s[end] >= '0' && s[end] <= '9') ++end;
      auto frac = ParseNumber("0" + std::string(s.substr(pos, end - pos)));
      if (!frac || end == pos + 1) return std::nullopt;
      secs += *frac;
      pos = end;
    }
  }
  const std::string_view zone = s.substr(pos);
  if (zone.empty() || zone == "Z") return secs;
  auto zh = Digits(zone, 1, 2);
  auto zm = Digits(zone, 4, 2);
  if (zone.size() != 6 || (zone[0] != '+' && zone[0] != '-') || zone[3] != ':' || !zh || !zm) {
    return std::nullopt;
  }
  const double offset = *zh * 3600.0 + *zm * 60.0;
  return zone[0] == '+' ? secs - offset : secs + offset;
}

struct IpAddr {
  int family = 0;  // AF_INET or AF_INET6
  std::array<std::uint8_t, 16> bytes{};
};

std::optional<IpAddr> ParseIp(const std::string& text) {
  IpAddr out;
  if (inet_pton(AF_INET, text.c_str(), out.bytes.data()) == 1) {
    out.family = AF_INET;
  } else if (inet_pton(AF_INET6, text.c_str(), out.bytes.data()) == 1) {
    out.family = AF_INET6;
  } else {
    return std::nullopt;
  }
  return out;
}

struct Cidr {
  IpAddr base;
  int prefix = 0;
};

std::optional<Cidr> ParseCidr(std::string_view text) {
  if (text.size() > 64) return std::nullopt;
  const std::size_t slash = text.find('/');
  auto base = ParseIp(std::string(text.substr(0, slash)));
  if (!base) return std::nullopt;
  const int max = base->family == AF_INET ? 32 : 128;
  int prefix = max;
  if (slash != std::string_view::npos) {
    auto p = ParseNumber(text.substr(slash + 1));
    if (!p || *p < 0 || *p > max || *p != std::floor(*p) || text.size() == slash + 1) return std::nullopt;
    prefix = static_cast<int>(*p);
  }
  return Cidr{*base, prefix};
}

bool InCidr(const IpAddr& ip, const Cidr& cidr) {
  if (ip.family != cidr.base.family) return false;
  for (int bit = 0; bit < cidr.prefix; ++bit) {
    const int byte = bit / 8;
    const int mask = 0x80 >> (bit % 8);
    if ((ip.bytes[byte] & mask) != (cidr.base.bytes[byte] & mask)) return false;
  }
  return true;
}

// ARNs have six colon-separated parts; the last keeps its own colons.
std::optional<std::array<std::string_view, 6>> SplitArn(std::string_view arn) {
  std::array<std::string_view, 6> parts;
  for (std::size_t i = 0; i < 5; ++i) {
    const std::size_t colon = arn.find(':');
    if (colon == std::string_view::npos) return std::nullopt;
    parts[i] = arn.substr(0, colon);
    arn.remove_prefix(colon + 1);
  }
  parts[5] = arn;
  if (parts[0] != "arn" && parts[0] != "*") return std::nullopt;
  return parts;
}

bool ArnMatch(std::string_view request_value, std::string_view pattern) {
  if (pattern == "*") return true;
  auto value = SplitArn(request_value);
  auto pat = SplitArn(pattern);
  if (!value || !pat) return false;
  for (std::size_t i = 0; i < 6; ++i) {
    if (!WildcardMatch((*pat)[i], (*value)[i], false)) return false;
  }
  return true;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

}  // namespace

const OperatorInfo* FindOperator(std::string_view base_name) {
  if (base_name.empty()) return nullptr;
  for (const auto& op : kOperators) {
    if (op.name == base_name) return &op;
  }
  return nullptr;
}

std::optional<double> ParseDate(std::string_view text) {
  if (auto epoch = ParseNumber(text); epoch) return *epoch;
  auto y = Digits(text, 0, 4);
  auto m = Digits(text, 5, 2);
  auto d = Digits(text, 8, 2);
  if (!y || !m || !d || text.size() < 10 || text[4] != '-' || text[7] != '-') return std::nullopt;
  if (*m < 1 || *m > 12 || *d < 1 || *d > 31) return std::nullopt;
  const double day_secs = static_cast<double>(DaysFromCivil(*y, *m, *d)) * 86400.0;
  if (text.size() == 10) return day_secs;
  if (text[10] != 'T') return std::nullopt;
  auto time = ParseTimeOfDay(text.substr(11));
  if (!time) return std::nullopt;
  return day_secs + *time;
}

bool ValidPolicyValue(OpFamily family, std::string_view v) {
  switch (family) {
    case OpFamily::kNumeric:
      return ParseNumber(v).has_value();
    case OpFamily::kDate:
      return ParseDate(v).has_value();
    case OpFamily::kBool:
    case OpFamily::kNull:
      return EqualsIgnoreCase(v, "true") || EqualsIgnoreCase(v, "false");
    case OpFamily::kIp:
      return ParseCidr(v).has_value();
    default:
      return true;
  }
}

bool CompareOne(const OperatorInfo& op, std::string_view value, std::string_view policy_value) {
  switch (op.family) {
    case OpFamily::kString:
    case OpFamily::kBinary:
      return value == policy_value;
    case OpFamily::kStringIgnoreCase:
      return EqualsIgnoreCase(value, policy_value);
    case OpFamily::kStringLike:
      return WildcardMatch(policy_value, value, false);
    case OpFamily::kNumeric: {
      auto a = ParseNumber(value);
      auto b = ParseNumber(policy_value);
      return a && b && CompareNumbers(op.compare, *a, *b);
    }
    case OpFamily::kDate: {
      auto a = ParseDate(value);
      auto b = ParseDate(policy_value);
      return a && b && CompareNumbers(op.compare, *a, *b);
    }
    case OpFamily::kBool:
      return EqualsIgnoreCase(value, policy_value);
    case OpFamily::kIp: {
      auto ip = ParseIp(std::string(value.substr(0, 64)));
      auto cidr = ParseCidr(policy_value);
      return ip && cidr && InCidr(*ip, *cidr);
    }
    case OpFamily::kArn:
      return ArnMatch(value, policy_value);
    case OpFamily::kNull:
      return false;  // handled by the evaluator
  }
  return false;
}

}  // namespace coffer::policy::internal

// Condition operators: the table of base operators and the comparison of one
// request value against one policy value. Internal to src/policy/.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace coffer::policy::internal {

enum class OpFamily {
  kString,
  kStringIgnoreCase,
  kStringLike,
  kNumeric,
  kDate,
  kBool,
  kBinary,
  kIp,
  kArn,
  kNull
};
enum class Compare { kEq, kLt, kLe, kGt, kGe };

struct OperatorInfo {
  std::string_view name;
  OpFamily family;
  Compare compare;
  bool negated;  // StringNotEquals, NotIpAddress, ...: true when no value matches
};

// nullptr for a name that is not an IAM condition operator.
const OperatorInfo* FindOperator(std::string_view base_name);

// Whether `policy_value` is well-formed for the operator family (a number for
// Numeric*, a date for Date*, a CIDR for IpAddress, "true"/"false" for Bool...).
bool ValidPolicyValue(OpFamily family, std::string_view policy_value);

// The positive comparison (negation is applied by the caller).
bool CompareOne(const OperatorInfo& op, std::string_view request_value, std::string_view policy_value);

// Seconds since the epoch for ISO 8601 dates/times or an epoch number.
std::optional<double> ParseDate(std::string_view text);

}  // namespace coffer::policy::internal

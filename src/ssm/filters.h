// ParameterFilters (and DescribeParameters' older Filters) as AWS checks and
// applies them.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/status_or.h"
#include "ssm/record.h"

namespace coffer::ssm {

struct ParameterFilter {
  std::string key;     // "Name", "Type", "tag:env", ...
  std::string option;  // "Equals" (default), "BeginsWith", "Contains", "Recursive", "OneLevel"
  std::vector<std::string> values;
};

enum class FilterUse { kDescribe, kByPath };

// Parses and checks the request's ParameterFilters (and Filters, for
// DescribeParameters): InvalidFilterKey, InvalidFilterOption, InvalidFilterValue.
StatusOr<std::vector<ParameterFilter>> ParseFilters(const nlohmann::json& req, FilterUse use);
bool Matches(const std::vector<ParameterFilter>& filters, const ParameterRecord& r);

}  // namespace coffer::ssm

#pragma once

#include <string_view>

namespace coffer::api {
// The SSM 2014-11-06 service model (third_party/aws-models/ssm-2014-11-06.json).
std::string_view EmbeddedSsmModel();
}  // namespace coffer::api

// The botocore CloudTrail 2013-11-01 model without documentation, compiled in
// from third_party/aws-models/cloudtrail-2013-11-01.json (src/audit/CMakeLists.txt).
#pragma once

#include <string_view>

namespace coffer::api {

std::string_view EmbeddedCloudTrailModel();

}  // namespace coffer::api

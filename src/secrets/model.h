// The botocore Secrets Manager 2017-10-17 model without documentation,
// compiled in from third_party/aws-models/secretsmanager-2017-10-17.json
// (src/secrets/CMakeLists.txt).
#pragma once

#include <string_view>

namespace coffer::api {

std::string_view EmbeddedSecretsManagerModel();

}  // namespace coffer::api

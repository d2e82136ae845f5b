// AWS service models compiled into the binary, so the server needs no data
// files at run time. The text is generated at build time from
// third_party/aws-models/ (see scripts/strip_model.py and SOURCE.md there).
#pragma once

#include <string_view>

namespace coffer::api {

// The stripped botocore KMS 2014-11-01 model (JSON text, with the extra
// top-level "errorHttpStatus" object). Valid for the life of the program.
std::string_view EmbeddedKmsModel();

}  // namespace coffer::api

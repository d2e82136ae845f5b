// IAM and STS operations of the AWS Query protocol (Action=... form posts,
// XML answers). Each operation reads its form parameters and returns the
// inner XML of its <ActionResult> element; the protocol front wraps it.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "common/status_or.h"
#include "iam/identity_store.h"
#include "policy/identity_source.h"

namespace coffer::iam {

using FormParams = std::map<std::string, std::string>;

struct QueryContext {
  Principal principal;
  policy::CallerInfo who;
};

using QueryOpFn = StatusOr<std::string> (*)(IdentityStore& ids, const QueryContext& ctx,
                                            const FormParams& params);

struct QueryOp {
  std::string_view service;  // "iam" | "sts"
  std::string_view action;   // "CreateUser"
  QueryOpFn fn;
};

// Every IAM/STS action this server implements.
const std::vector<QueryOp>& QueryOperations();

// XML text escaping for element content.
std::string XmlEscape(std::string_view text);

// IAM's error names for a status code ("NoSuchEntity", ...) and HTTP status.
struct QueryError {
  std::string_view code;
  int http_status;
};
QueryError QueryErrorFor(ErrorCode code);

}  // namespace coffer::iam

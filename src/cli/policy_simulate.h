// `coffer policy simulate --principal ARN --action kms:Encrypt --resource ARN
// --context key=value ...`: prints the decision and why. Exit 0 when every
// action is allowed, 3 when one is denied, 1 on error.
#pragma once

#include <string>
#include <vector>

#include "server/app.h"

namespace coffer::cli {

struct SimulateArgs {
  std::string principal;
  std::vector<std::string> actions;
  std::string resource = "*";
  std::vector<std::string> context;
};

int RunPolicySimulate(const server::CoreOptions& options, const SimulateArgs& args);

}  // namespace coffer::cli

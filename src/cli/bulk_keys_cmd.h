// `coffer admin bulk-create-keys`: many KMS keys at once, offline (load tests,
// fixtures, preloading a store).
#pragma once

#include <CLI/CLI.hpp>
#include <cstddef>
#include <string>

#include "server/app.h"

namespace coffer::cli {

struct BulkKeysCommand {
  CLI::App* cmd = nullptr;
  std::string account_id;
  std::string region = "us-east-1";
  std::size_t count = 0;
  std::size_t per_txn = 10000;
  int Run(const server::CoreOptions& core) const;
};
void AddBulkKeysCommand(CLI::App& admin, BulkKeysCommand& bulk);

}  // namespace coffer::cli

#include "cli/bulk_keys_cmd.h"

#include <unistd.h>

#include <algorithm>
#include <iostream>
#include <nlohmann/json.hpp>

#include "kms/bulk_keys.h"

namespace coffer::cli {
namespace {

int Fail(const Status& status) {
  std::cerr << "error: " << status.ToString() << "\n";
  return 1;
}

Status CheckAccountExists(iam::IdentityStore& identities, const std::string& account_id) {
  ASSIGN_OR_RETURN(auto accounts, identities.ListAccounts());
  const bool found = std::any_of(accounts.begin(), accounts.end(),
                                 [&](const iam::Account& a) { return a.id == account_id; });
  if (!found) return NotFoundError("account " + account_id + " does not exist");
  return Status::Ok();
}

}  // namespace

void AddBulkKeysCommand(CLI::App& admin, BulkKeysCommand& b) {
  b.cmd = admin.add_subcommand("bulk-create-keys",
                               "Create many SYMMETRIC_DEFAULT KMS keys in batched transactions (load tests, "
                               "fixtures; server may run)");
  b.cmd->add_option("--account-id", b.account_id, "Account owning the keys")->required();
  b.cmd->add_option("--region", b.region, "Region of the keys")->capture_default_str();
  b.cmd->add_option("--count", b.count, "How many keys")->required()->check(CLI::Range(1, 100000000));
  b.cmd->add_option("--per-transaction", b.per_txn, "Keys written per store transaction")
      ->check(CLI::Range(1, 1000000))
      ->capture_default_str();
}

int BulkKeysCommand::Run(const server::CoreOptions& core_options) const {
  auto core = server::OpenCore(core_options);
  if (!core.ok()) return Fail(core.status());
  server::Core& c = **core;
  if (Status st = CheckAccountExists(*c.identities, account_id); !st.ok()) return Fail(st);
  kms::KeyStore keys(*c.store, *c.root_key, c.random);
  kms::KmsService kms(keys, c.random, c.clock);
  const kms::RequestContext ctx{account_id, region, "arn:aws:iam::" + account_id + ":root", "kms:CreateKey"};
  const bool tty = ::isatty(STDERR_FILENO) != 0;
  auto report = kms::CreateKeysInBulk(kms, ctx, count, per_txn, [&](std::size_t done) {
    if (tty) std::cerr << "\r" << done << " / " << count << " keys" << std::flush;
  });
  if (tty) std::cerr << "\n";
  if (!report.ok()) return Fail(report.status());
  std::cout << nlohmann::json{{"AccountId", account_id},
                              {"Region", region},
                              {"Created", report->created},
                              {"FirstKeyId", report->first_key_id},
                              {"LastKeyId", report->last_key_id}}
                   .dump(2)
            << "\n";
  return 0;
}

}  // namespace coffer::cli

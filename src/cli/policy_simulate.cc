// `coffer policy simulate`: the decision for a principal, action(s) and
// resource, with the policy, statement and condition that decided it.
#include "cli/policy_simulate.h"

#include <iostream>

#include "iam/simulate.h"
#include "kms/key_store.h"
#include "s3/records.h"

namespace coffer::cli {
namespace {

// arn:aws:kms:<region>:<account>:key/<id> -> the key's policy.
StatusOr<std::optional<std::string>> KeyPolicyFor(server::Core& core, const std::string& resource) {
  if (!resource.starts_with("arn:aws:kms:")) return std::optional<std::string>();
  const std::string rest = resource.substr(12);
  const std::size_t c1 = rest.find(':');
  const std::size_t c2 = c1 == std::string::npos ? c1 : rest.find(':', c1 + 1);
  if (c2 == std::string::npos || rest.compare(c2 + 1, 4, "key/") != 0) return std::optional<std::string>();
  kms::KeyStore keys(*core.store, *core.root_key, core.random);
  ASSIGN_OR_RETURN(auto key,
                   keys.Load(rest.substr(0, c1), rest.substr(c1 + 1, c2 - c1 - 1), rest.substr(c2 + 5)));
  return std::optional<std::string>(key->record.policy);
}

// arn:aws:s3:::<bucket>[/<key>] -> the bucket's policy, and the bucket's
// account as the resource owner.
StatusOr<std::optional<std::string>> BucketPolicyFor(server::Core& core, const std::string& resource,
                                                     std::string* out_owner) {
  constexpr std::string_view kPrefix = "arn:aws:s3:::";
  if (!resource.starts_with(kPrefix)) return std::optional<std::string>();
  const std::string bucket = resource.substr(kPrefix.size(), resource.find('/') - kPrefix.size());
  ASSIGN_OR_RETURN(auto txn, core.store->BeginRead());
  ASSIGN_OR_RETURN(std::optional<s3::BucketRecord> record, s3::LoadBucket(*txn, bucket));
  if (!record) return NotFoundError("No bucket named " + bucket.substr(0, 64));
  *out_owner = record->account;
  return record->policy;
}

StatusOr<std::map<std::string, std::vector<std::string>>> ParseContext(
    const std::vector<std::string>& pairs) {
  std::map<std::string, std::vector<std::string>> out;
  for (const auto& pair : pairs) {
    const std::size_t eq = pair.find('=');
    if (eq == std::string::npos || eq == 0) return ValidationError("--context wants key=value, got: " + pair);
    out[pair.substr(0, eq)].push_back(pair.substr(eq + 1));
  }
  return out;
}

void Print(const iam::SimulationResult& r) {
  std::cout << "Decision: " << policy::DecisionName(r.decision) << "\n"
            << "  action:   " << r.action << "\n"
            << "  resource: " << r.resource << "\n"
            << "  why:      " << r.reason << "\n";
  for (const auto& m : r.matched) {
    std::cout << "  matched:  " << m.policy_name << " statement " << (m.index + 1)
              << (m.sid.empty() ? "" : " (" + m.sid + ")") << " "
              << (m.effect == policy::Effect::kAllow ? "Allow" : "Deny")
              << (m.via_account ? " (principal matched through its account)" : "") << "\n";
  }
}

}  // namespace

int RunPolicySimulate(const server::CoreOptions& options, const SimulateArgs& args) {
  auto core = server::OpenCore(options);
  if (!core.ok()) {
    std::cerr << "error: " << core.status().message() << "\n";
    return 1;
  }
  iam::SimulationInput in;
  in.principal_arn = args.principal;
  in.actions = args.actions;
  in.resources = {args.resource};
  auto context = ParseContext(args.context);
  auto key_policy = args.resource.starts_with("arn:aws:s3:::")
                        ? BucketPolicyFor(**core, args.resource, &in.resource_owner)
                        : KeyPolicyFor(**core, args.resource);
  if (!context.ok() || !key_policy.ok()) {
    std::cerr << "error: " << (context.ok() ? key_policy.status() : context.status()).message() << "\n";
    return 1;
  }
  in.context = std::move(*context);
  in.resource_policy = std::move(*key_policy);
  auto results = iam::Simulate(*(*core)->identities, in);
  if (!results.ok()) {
    std::cerr << "error: " << results.status().message() << "\n";
    return 1;
  }
  bool all_allowed = true;
  for (const auto& r : *results) {
    Print(r);
    all_allowed &= r.decision == policy::Decision::kAllow;
  }
  return all_allowed ? 0 : 3;
}

}  // namespace coffer::cli

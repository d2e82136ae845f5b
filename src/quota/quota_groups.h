// AWS KMS request quota groups and their default rates (requests per second,
// per account and region), from the AWS KMS Developer Guide, "Request quotas":
// one shared quota for symmetric cryptographic operations, one for RSA and one
// for ECC asymmetric operations, and a quota per management API. AWS raises
// the symmetric quota in some regions (10,000 to 100,000); Coffer uses the
// base value everywhere and lets operators change it (docs/operations.md).
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "common/json_view.h"

namespace coffer::quota {

inline constexpr std::string_view kSymmetric = "symmetric";
inline constexpr std::string_view kRsa = "rsa";
inline constexpr std::string_view kEcc = "ecc";

// The quota group charged for a request, or empty when none applies.
// Cryptographic operations are classified by the algorithm the request
// names (RSAES_* / RSASSA_* -> rsa, ECDSA_* / SM2 -> ecc, otherwise
// symmetric); management operations are their own group ("CreateKey").
// CloudTrail groups are prefixed ("cloudtrail:LookupEvents").
// Parameter Store ("AWS Systems Manager endpoints and quotas", Max
// throughput): GetParameter, GetParameters and GetParametersByPath share 40
// TPS by default ("ssm:GetParameter"); with the account's higher-throughput
// setting GetParameter and GetParameters share 10,000
// ("ssm:GetParameter:higher") and GetParametersByPath has 100
// ("ssm:GetParametersByPath:higher"). `higher_throughput` is that setting.
std::string GroupFor(std::string_view service, std::string_view operation, JsonView body,
                     bool higher_throughput = false);

// Every group with AWS's default rate.
const std::map<std::string, double, std::less<>>& DefaultRates();

}  // namespace coffer::quota

// Secret ARNs and SecretId resolution. An ARN is
// arn:aws:secretsmanager:<region>:<account>:secret:<name>-<6 random chars>;
// a SecretId may be the name, the full ARN, or a partial ARN (without the
// suffix), as on AWS.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/random.h"
#include "common/status_or.h"

namespace coffer::secrets {

std::string SecretArn(std::string_view region, std::string_view account, std::string_view name,
                      std::string_view suffix);
// Six characters from [A-Za-z0-9], from the DRBG.
StatusOr<std::string> NewArnSuffix(RandomSource& random);

// One way a SecretId may name a secret: look up `name` in `account`; when
// `exact_arn` is set, the record's ARN must equal it.
struct SecretLookup {
  std::string account;
  std::string name;
  std::string exact_arn;
};

// The lookups to try in order (an ARN whose last segment ends in -XXXXXX may
// be a full ARN or a partial one of a name that ends so). An ARN of another
// region names nothing here: empty.
std::vector<SecretLookup> LookupsFor(std::string_view secret_id, std::string_view caller_account,
                                     std::string_view region);

// Name rules of CreateSecret: 1-512 of [A-Za-z0-9/_+=.@-].
bool ValidSecretName(std::string_view name);

}  // namespace coffer::secrets

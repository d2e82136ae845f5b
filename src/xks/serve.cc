#include "xks/serve.h"

#include <spdlog/spdlog.h>

namespace coffer::xks {

StatusOr<std::unique_ptr<ProxyService>> OpenProxyService(const ProxyServeOptions& options,
                                                         kms::KeyStore& keys, RandomSource& random,
                                                         const Clock& clock, const std::string& region,
                                                         const std::string& account) {
  RETURN_IF_ERROR(CheckUriPath(options.uri_path));
  if (options.credential_file.empty())
    return ValidationError("--xks-proxy needs --xks-proxy-credential-file");
  if (account.empty())
    return ValidationError("--xks-proxy needs --xks-proxy-account (the account of its keys)");
  ASSIGN_OR_RETURN(ProxyCredential credential, LoadProxyCredential(options.credential_file));
  spdlog::info("XKS proxy on {} for the KMS keys of account {} in {} (access key id {})", options.uri_path,
               account, region, credential.access_key_id);
  return std::make_unique<ProxyService>(keys, random, region, account, options, std::move(credential), clock);
}

}  // namespace coffer::xks

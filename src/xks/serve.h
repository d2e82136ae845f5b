// `coffer serve --xks-proxy`: the XKS proxy on the server's own listener,
// answering under one URI path for the KMS keys of one account.
#pragma once

#include <filesystem>
#include <memory>
#include <string>

#include "common/clock.h"
#include "common/random.h"
#include "kms/key_store.h"
#include "xks/kms_keys.h"
#include "xks/proxy.h"

namespace coffer::xks {

struct ProxyServeOptions {
  bool enabled = false;
  std::string uri_path = "/kms/xks/v1";   // --xks-proxy-uri-path, CheckUriPath
  std::filesystem::path credential_file;  // --xks-proxy-credential-file (mode 0600)
  std::string account;                    // --xks-proxy-account: whose KMS keys are the external keys
};

// The proxy and the keys behind it, kept together for the process's life.
struct ProxyService {
  ProxyService(kms::KeyStore& keys, RandomSource& random, std::string region, std::string account,
               const ProxyServeOptions& options, ProxyCredential credential, const Clock& clock)
      : backend(keys, random, std::move(region), std::move(account)),
        proxy(options.uri_path, std::move(credential), backend, clock) {}
  KmsKeyBackend backend;
  XksProxy proxy;
};

// Checks the options and reads the credential file. `account` is the
// account whose keys are served (the caller resolves a default).
StatusOr<std::unique_ptr<ProxyService>> OpenProxyService(const ProxyServeOptions& options,
                                                         kms::KeyStore& keys, RandomSource& random,
                                                         const Clock& clock, const std::string& region,
                                                         const std::string& account);

}  // namespace coffer::xks

// `coffer`: serve | admin | encrypt | decrypt | policy | audit | version.
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <iostream>
#include <nlohmann/json.hpp>
#include <thread>

#include "cli/bulk_keys_cmd.h"
#include "cli/envelope_cmd.h"
#include "cli/ops_commands.h"
#include "cli/policy_simulate.h"
#include "cli/s3_reencrypt.h"
#include "s3/service_key.h"
#include "server/app.h"
#include "server/root_key_migration.h"

namespace {

using coffer::server::CoreOptions;
using nlohmann::json;

constexpr const char* kVersion = "0.1.0";

void AddCoreOptions(CLI::App& cmd, CoreOptions& core) {
  cmd.add_option("--data-dir", core.data_dir, "Data directory (store, root key, credentials)")
      ->capture_default_str();
  cmd.add_option("--root-key-provider", core.root_key_provider, "file | passphrase | pkcs11")
      ->check(CLI::IsMember({"file", "passphrase", "pkcs11"}))
      ->capture_default_str();
  cmd.add_option("--pkcs11-module", core.pkcs11.module,
                 "pkcs11 provider: the PKCS#11 library (.so) of the HSM");
  cmd.add_option("--pkcs11-token-label", core.pkcs11.token_label, "pkcs11 provider: label of the token");
  cmd.add_option("--pkcs11-pin-file", core.pkcs11.pin_file,
                 "pkcs11 provider: file (mode 0600) holding the user PIN");
  cmd.add_option("--pkcs11-key-label", core.pkcs11.key_label,
                 "pkcs11 provider: label of the root key in the token")
      ->capture_default_str();
  cmd.add_option("--passphrase-env", core.passphrase_env, "Environment variable holding the passphrase")
      ->capture_default_str();
  cmd.add_option("--store", core.store,
                 "sqlite:PATH (default: <data-dir>/coffer.db) or postgres://user@host:port/db?... "
                 "(cluster mode: every node on the same database)");
}

// Prints a Status error or the JSON value; returns the exit code.
template <typename T, typename Fn>
int Emit(const coffer::StatusOr<T>& result, Fn&& to_json) {
  if (!result.ok()) {
    std::cerr << "error: " << result.status().ToString() << "\n";
    return 1;
  }
  std::cout << to_json(*result).dump(2) << "\n";
  return 0;
}

int RunAdmin(const std::string& action, const CoreOptions& core_options, const std::string& account_id,
             const std::string& user_name, const std::string& name) {
  auto core_or = coffer::server::OpenCore(core_options);
  if (!core_or.ok()) {
    std::cerr << "error: " << core_or.status().message() << "\n";
    return 1;
  }
  auto& ids = *(*core_or)->identities;
  if (action == "create-account") {
    return Emit(ids.CreateAccount(name), [](const auto& a) {
      return json{{"AccountId", a.id}, {"Name", a.name}};
    });
  }
  if (action == "create-user") {
    return Emit(ids.CreateUser(account_id, user_name), [](const auto& u) {
      return json{{"UserName", u.name}, {"UserId", u.user_id}, {"Arn", u.arn}, {"AccountId", u.account_id}};
    });
  }
  if (action == "create-access-key") {
    return Emit(ids.CreateAccessKey(account_id, user_name), [](const auto& k) {
      return json{{"AccessKeyId", k.key.access_key_id},
                  {"SecretAccessKey", k.secret_access_key},
                  {"UserName", k.key.user_name},
                  {"AccountId", k.key.account_id}};
    });
  }
  if (action == "list-accounts") {
    return Emit(ids.ListAccounts(), [](const auto& list) {
      json out = json::array();
      for (const auto& a : list) out.push_back({{"AccountId", a.id}, {"Name", a.name}});
      return json{{"Accounts", out}};
    });
  }
  if (action == "list-users") {
    return Emit(ids.ListUsers(account_id), [](const auto& list) {
      json out = json::array();
      for (const auto& u : list) out.push_back({{"UserName", u.name}, {"UserId", u.user_id}, {"Arn", u.arn}});
      return json{{"Users", out}};
    });
  }
  return Emit(ids.ListAccessKeys(account_id, user_name), [](const auto& list) {
    json out = json::array();
    for (const auto& k : list) {
      out.push_back({{"AccessKeyId", k.access_key_id}, {"Status", k.status}, {"UserName", k.user_name}});
    }
    return json{{"AccessKeys", out}};
  });
}

// Rewraps the data directory under another root key provider; a progress bar
// when stderr is a terminal, a JSON summary on stdout.
int RunMigrateRootKey(const CoreOptions& core, const std::string& to) {
  auto report = coffer::server::MigrateRootKey(core, to, ::isatty(STDERR_FILENO) != 0 ? &std::cerr : nullptr);
  return Emit(report, [&to](const coffer::server::MigrationReport& r) {
    return json{{"RootKeyProvider", to}, {"Rewrapped", r.moved}, {"AlreadyRewrapped", r.already_moved}};
  });
}

// A new S3 service key version, at once (the server may be running: it reads
// the current version for each new object).
int RunRotateS3ServiceKey(const CoreOptions& options) {
  auto core = coffer::server::OpenCore(options);
  if (!core.ok()) return Emit(coffer::StatusOr<json>(core.status()), [](const json& j) { return j; });
  coffer::s3::ServiceKeyring keyring(*(*core)->store, *(*core)->root_key, (*core)->clock, (*core)->random);
  return Emit(keyring.Rotate(/*force=*/true), [](const coffer::s3::ServiceKeyRotation& r) {
    return json{{"S3ServiceKeyVersion", r.version}};
  });
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Coffer: AWS KMS-compatible encryption and key management service"};
  app.require_subcommand(1);

  coffer::server::ServeOptions serve;
  std::string listen = "127.0.0.1:4566";
  std::string log_level = "info";
  std::string tls_cert, tls_key;
  bool tls_self_signed = false;
  int sweep_seconds = 60;
  std::int64_t s3_abort_seconds = 7 * 24 * 3600;
  std::int64_t s3_bucket_key_seconds = 300;
  auto* serve_cmd = app.add_subcommand("serve", "Run the server");
  AddCoreOptions(*serve_cmd, serve.core);
  serve_cmd->add_option("--listen", listen, "host:port to listen on (port 0: any free port)")
      ->capture_default_str();
  serve_cmd->add_option("--ready-file", serve.ready_file,
                        "Write {endpoint, port, region} here once listening");
  serve_cmd->add_option("--region", serve.region, "Region shown in the banner")->capture_default_str();
  serve_cmd->add_option("--threads", serve.server.threads, "IO threads (0: one per core)")
      ->capture_default_str();
  serve_cmd
      ->add_option("--blocking-threads", serve.server.blocking_threads,
                   "Threads for S3 body work that waits on the disk (0: on the IO threads)")
      ->capture_default_str()
      ->check(CLI::Range(0, 256));
  serve_cmd->add_option("--max-body-bytes", serve.server.max_body_bytes, "Request body limit")
      ->capture_default_str();
  serve_cmd->add_option("--tls-cert", tls_cert, "PEM certificate chain for HTTPS");
  serve_cmd->add_option("--tls-key", tls_key, "PEM private key for HTTPS");
  serve_cmd->add_flag("--tls-self-signed", tls_self_signed,
                      "Serve HTTPS with a fresh self-signed certificate");
  serve_cmd->add_option("--sweep-interval", sweep_seconds, "Seconds between deletion/rotation sweeps")
      ->capture_default_str();
  serve_cmd->add_option("--log-level", log_level, "trace|debug|info|warn|error")->capture_default_str();
  serve_cmd->add_option(
      "--s3-domain", serve.s3_domains,
      "Host name under which <bucket>.<name> addresses an S3 bucket (virtual-hosted style); "
      "bucket.localhost and bucket.s3.<region>.localhost always work");
  serve_cmd
      ->add_option("--s3-abort-incomplete-after", s3_abort_seconds,
                   "Seconds after which the sweeper aborts an incomplete S3 multipart upload (0: never)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  serve_cmd
      ->add_option("--s3-bucket-key-ttl", s3_bucket_key_seconds,
                   "Seconds an S3 Bucket Key from KMS is reused for SSE-KMS uploads and reads")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  int s3_service_key_days = 365;
  serve_cmd
      ->add_option("--s3-service-key-rotation-days", s3_service_key_days,
                   "Days after which the sweeper makes a new S3 service key version for new objects "
                   "(0: only coffer admin rotate-s3-service-key)")
      ->check(CLI::Range(0, 100000))
      ->capture_default_str();
  serve_cmd->add_option("--s3-blob-dir", serve.s3_blob_dir,
                        "Directory of S3 object bytes (default <data-dir>/s3/blobs); cluster nodes share one "
                        "on shared storage");
  int xks_timeout_seconds = 2;
  serve_cmd->add_option("--xks-ca-bundle", serve.xks_client.ca_bundle,
                        "PEM trust anchors for the certificates of the XKS proxies of external key stores "
                        "(default: the system store)");
  serve_cmd
      ->add_option("--xks-endpoint-map", serve.xks_client.endpoint_map,
                   "FROM=TO: reach the XKS proxy of stores whose XksProxyUriEndpoint is FROM at the URL TO "
                   "(another host or port; repeatable)")
      ->check([](const std::string& spec) {
        const coffer::Status st = coffer::xks::CheckEndpointMapping(spec);
        return st.ok() ? std::string() : std::string(st.message());
      });
  serve_cmd->add_option("--xks-timeout", xks_timeout_seconds, "Seconds before a call to an XKS proxy fails")
      ->check(CLI::Range(1, 60))
      ->capture_default_str();
  serve_cmd->add_flag("--xks-proxy", serve.xks_proxy.enabled,
                      "Also serve the AWS KMS XKS Proxy API, backed by this server's KMS keys");
  serve_cmd
      ->add_option("--xks-proxy-uri-path", serve.xks_proxy.uri_path,
                   "XksProxyUriPath the proxy answers under: [/prefix]/kms/xks/v1")
      ->capture_default_str();
  serve_cmd->add_option("--xks-proxy-credential-file", serve.xks_proxy.credential_file,
                        "JSON {\"AccessKeyId\", \"RawSecretAccessKey\"} (mode 0600): the SigV4 credential "
                        "KMS signs its XKS requests with");
  serve_cmd->add_option("--xks-proxy-account", serve.xks_proxy.account,
                        "Account whose symmetric KMS keys are the proxy's external keys (default: the only "
                        "account)");
  serve_cmd->add_option("--cloudhsm-cluster", serve.cloudhsm_clusters,
                        "KMS custom key stores: ID=MODULE_PATH:TOKEN_LABEL, a PKCS#11 token standing for the "
                        "CloudHSM cluster ID (repeatable)");
  serve_cmd->add_option("--rotators", serve.rotators_file,
                        "JSON file of Secrets Manager rotators (built-in PostgreSQL, webhook)");
  serve_cmd->add_option("--ssm-policy-webhook", serve.ssm_policy_webhook,
                        "http:// URL receiving Parameter Store policy events (EventBridge shape)");
  int cluster_check_ms = 1000;
  serve_cmd
      ->add_option("--cluster-check-ms", cluster_check_ms,
                   "PostgreSQL store: milliseconds between cluster generation checks (bounds how long a "
                   "missed change notification leaves a cache stale)")
      ->check(CLI::Range(50, 60000))
      ->capture_default_str();
  serve_cmd->add_option("--test-clock", serve.test_clock_file,
                        "TESTS ONLY: clock = system time + the offset (seconds) in this file; loopback only");
  int quota_reload_seconds = 5, digest_minutes = 15;
  coffer::cli::AddObservabilityOptions(*serve_cmd, serve, quota_reload_seconds, digest_minutes);

  CoreOptions admin_core;
  std::string account_id, user_name, account_name = "account";
  auto* admin_cmd = app.add_subcommand("admin", "Manage accounts, users and access keys offline");
  AddCoreOptions(*admin_cmd, admin_core);
  admin_cmd->require_subcommand(1);
  for (const char* action : {"create-account", "create-user", "create-access-key", "list-accounts",
                             "list-users", "list-access-keys"}) {
    auto* sub = admin_cmd->add_subcommand(action, action);
    const std::string a = action;
    if (a == "create-account") sub->add_option("--name", account_name, "Account name");
    if (a != "create-account" && a != "list-accounts")
      sub->add_option("--account-id", account_id)->required();
    if (a == "create-user" || a == "create-access-key" || a == "list-access-keys") {
      sub->add_option("--user-name", user_name)->required();
    }
  }
  CoreOptions policy_core;
  coffer::cli::SimulateArgs simulate;
  auto* policy_cmd = app.add_subcommand("policy", "Explain authorization decisions offline");
  policy_cmd->require_subcommand(1);
  auto* simulate_cmd =
      policy_cmd->add_subcommand("simulate", "Decide principal x action x resource and say why");
  AddCoreOptions(*simulate_cmd, policy_core);
  simulate_cmd->add_option("--principal", simulate.principal, "IAM user or role ARN")->required();
  simulate_cmd->add_option("--action", simulate.actions, "Action, e.g. kms:Encrypt (repeatable)")->required();
  simulate_cmd->add_option("--resource", simulate.resource,
                           "Resource ARN (a KMS key ARN uses its key policy)");
  simulate_cmd->add_option("--context", simulate.context, "Condition key=value (repeatable)");
  coffer::cli::QuotaCommand quota_cmd;
  coffer::cli::AddQuotaCommands(*admin_cmd, quota_cmd);
  std::string migrate_to;
  auto* migrate_cmd = admin_cmd->add_subcommand(
      "migrate-root-key", "Rewrap every stored secret under another root key provider (server stopped)");
  migrate_cmd->add_option("--to", migrate_to, "file | pkcs11 (its --pkcs11-* options on admin)")
      ->required()
      ->check(CLI::IsMember({"file", "pkcs11"}));
  auto* rotate_s3_key_cmd = admin_cmd->add_subcommand(
      "rotate-s3-service-key", "Make a new S3 service key version; new objects use it, old ones keep theirs");
  coffer::cli::BulkKeysCommand bulk_keys_cmd;
  coffer::cli::AddBulkKeysCommand(*admin_cmd, bulk_keys_cmd);
  coffer::cli::AuditCommand audit_cmd;
  coffer::cli::AddAuditCommand(app, audit_cmd);
  coffer::cli::ReencryptArgs reencrypt;
  auto* s3_cmd = app.add_subcommand("s3", "S3 client tools");
  s3_cmd->require_subcommand(1);
  auto* reencrypt_cmd =
      s3_cmd->add_subcommand("reencrypt", "Copy every object of a bucket onto itself with new encryption");
  reencrypt_cmd->add_option("--endpoint", reencrypt.endpoint, "S3 endpoint URL")->required();
  reencrypt_cmd->add_option("--bucket", reencrypt.bucket, "Bucket")->required();
  reencrypt_cmd->add_option("--prefix", reencrypt.prefix, "Only keys with this prefix");
  reencrypt_cmd->add_option("--to", reencrypt.to, "AES256 | aws:kms | aws:kms:dsse")->capture_default_str();
  reencrypt_cmd->add_option("--key", reencrypt.key, "KMS key id, ARN or alias (default: alias/aws/s3)");
  reencrypt_cmd->add_option("--state", reencrypt.state_file, "File holding the last key done (resume)");
  reencrypt_cmd->add_option("--report", reencrypt.report_file, "JSON lines: one per object");
  reencrypt_cmd->add_option("--region", reencrypt.region, "Region (default: AWS_REGION or the profile's)");
  reencrypt_cmd->add_option("--profile", reencrypt.profile, "Shared credentials profile");
  reencrypt_cmd->add_option("--ca-bundle", reencrypt.ca_bundle, "PEM file for HTTPS");
  app.add_subcommand("version", "Print the version");
  coffer::cli::EnvelopeCommands envelope_commands(app);

  CLI11_PARSE(app, argc, argv);

  if (auto code = envelope_commands.Run()) return *code;

  if (app.got_subcommand("version")) {
    std::cout << "coffer " << kVersion << "\n";
    return 0;
  }
  if (app.got_subcommand("policy")) {
    spdlog::set_level(spdlog::level::warn);
    return coffer::cli::RunPolicySimulate(policy_core, simulate);
  }
  if (app.got_subcommand("audit")) return audit_cmd.Run();
  if (app.got_subcommand("s3")) return coffer::cli::RunS3Reencrypt(reencrypt);
  if (app.got_subcommand("admin")) {
    spdlog::set_level(spdlog::level::warn);
    if (quota_cmd.Selected()) return quota_cmd.Run(admin_core);
    if (migrate_cmd->parsed()) return RunMigrateRootKey(admin_core, migrate_to);
    if (rotate_s3_key_cmd->parsed()) return RunRotateS3ServiceKey(admin_core);
    if (bulk_keys_cmd.cmd->parsed()) return bulk_keys_cmd.Run(admin_core);
    return RunAdmin(admin_cmd->get_subcommands().front()->get_name(), admin_core, account_id, user_name,
                    account_name);
  }
  spdlog::set_level(spdlog::level::from_str(log_level));
  const auto colon = listen.rfind(':');
  if (colon == std::string::npos) {
    std::cerr << "error: --listen must be host:port\n";
    return 2;
  }
  serve.server.host = listen.substr(0, colon);
  try {
    serve.server.port = static_cast<std::uint16_t>(std::stoul(listen.substr(colon + 1)));
  } catch (const std::exception&) {
    std::cerr << "error: --listen port must be a number\n";
    return 2;
  }
  if (tls_self_signed || !tls_cert.empty()) {
    serve.server.tls = coffer::server::TlsOptions{tls_cert, tls_key, tls_self_signed};
  }
  serve.sweep_interval = std::chrono::seconds(sweep_seconds);
  serve.xks_client.timeout = std::chrono::seconds(xks_timeout_seconds);
  serve.cluster_check_interval = std::chrono::milliseconds(cluster_check_ms);
  // One token session per io thread (--threads 0: one per core, as the server).
  serve.core.pkcs11.sessions = serve.server.threads > 0 ? static_cast<std::size_t>(serve.server.threads)
                                                        : std::max(1u, std::thread::hardware_concurrency());
  serve.s3_abort_incomplete_after = std::chrono::seconds(s3_abort_seconds);
  serve.s3_bucket_key_ttl = std::chrono::seconds(s3_bucket_key_seconds);
  serve.s3_service_key_rotation = std::chrono::hours(24 * s3_service_key_days);
  serve.quota_reload = std::chrono::seconds(std::max(1, quota_reload_seconds));
  serve.observability.audit_digest_interval = std::chrono::seconds(std::max(0, digest_minutes) * 60);
  return coffer::server::Serve(serve);
}

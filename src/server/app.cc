#include "server/app.h"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>

#include "api/embedded_models.h"
#include "api/rest_routes.h"
#include "api/s3_model.h"
#include "api/service_model.h"
#include "audit/node_dirs.h"
#include "auth/sigv4.h"
#include "blobs/blob_store.h"
#include "common/encoding.h"
#include "common/files.h"
#include "common/secret_bytes.h"
#include "kms/alias_index.h"
#include "kms/authorizer.h"
#include "kms/custom_key_store.h"
#include "kms/grants.h"
#include "kms/key_store.h"
#include "kms/service.h"
#include "kms/service_client.h"
#include "s3/encryption.h"
#include "s3/front.h"
#include "s3/maintenance.h"
#include "s3/service_key.h"
#include "secrets/model.h"
#include "secrets/rotation/runner.h"
#include "secrets/service.h"
#include "secrets/ssm_references.h"
#include "server/cluster.h"
#include "server/periodic.h"
#include "server/query_front.h"
#include "server/router.h"
#include "server/store_health.h"
#include "ssm/model.h"
#include "ssm/service.h"
#include "ssm/webhook.h"

namespace coffer::server {
namespace {

// First start: an account, an admin user and its access key, written to
// <data>/credentials in the AWS shared-credentials format.
Status Bootstrap(Core& core, const std::filesystem::path& data_dir, const std::string& region) {
  ASSIGN_OR_RETURN(auto accounts, core.identities->ListAccounts());
  if (!accounts.empty()) return Status::Ok();
  ASSIGN_OR_RETURN(iam::Account account, core.identities->CreateAccount("default"));
  ASSIGN_OR_RETURN(iam::User user, core.identities->CreateUser(account.id, "admin"));
  ASSIGN_OR_RETURN(iam::NewAccessKey key, core.identities->CreateAccessKey(account.id, user.name));
  const std::string text =
      "# Coffer credentials created on first start\n# account_id = " + account.id +
      "\n# user_arn = " + user.arn + "\n[default]\naws_access_key_id = " + key.key.access_key_id +
      "\naws_secret_access_key = " + key.secret_access_key + "\nregion = " + region + "\n";
  RETURN_IF_ERROR(WriteFileAtomically(data_dir / "credentials", text, 0600));
  // stdout is a log under systemd or a test harness: the secret access key
  // stays in the 0600 file; only its path and the key id are printed.
  std::cout << "Created account " << account.id << " with user admin (access key id " << key.key.access_key_id
            << "); the secret access key is in "
            << std::filesystem::absolute(data_dir / "credentials").string() << " (mode 0600)\n";
  return Status::Ok();
}

void PrintBanner(const ServeOptions& options, std::uint16_t port, bool tls) {
  const std::string endpoint =
      std::string(tls ? "https" : "http") + "://" + options.server.host + ":" + std::to_string(port);
  std::cout << "Coffer listening on " << endpoint << " (region " << options.region << ")\n"
            << "  export AWS_SHARED_CREDENTIALS_FILE="
            << std::filesystem::absolute(options.core.data_dir / "credentials").string()
            << "\n  export AWS_DEFAULT_REGION=" << options.region << "\n"
            << "  aws --endpoint-url " << endpoint << (tls ? " --no-verify-ssl" : "")
            << " kms create-key --description demo\n"
            << "  aws --endpoint-url " << endpoint << (tls ? " --no-verify-ssl" : "") << " s3 mb s3://demo\n"
            << std::flush;
}

// The passphrase comes from the environment, or from the terminal without echo.
StatusOr<std::string> ReadPassphrase(const std::string& env_name) {
  if (const char* value = std::getenv(env_name.c_str()); value != nullptr) return std::string(value);
  if (::isatty(STDIN_FILENO) == 0) {
    return InternalError("set " + env_name + " (or run on a terminal) for the passphrase root key");
  }
  termios old_mode{};
  ::tcgetattr(STDIN_FILENO, &old_mode);
  termios quiet = old_mode;
  quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
  ::tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
  std::cerr << "Root key passphrase: " << std::flush;
  std::string line;
  std::getline(std::cin, line);
  ::tcsetattr(STDIN_FILENO, TCSANOW, &old_mode);
  std::cerr << "\n";
  return line;
}

// --test-clock: only on a loopback listener (checked before anything is
// opened), and never quietly.
Status CheckTestClockListener(const ServeOptions& options) {
  if (options.test_clock_file.empty() || IsLoopbackHost(options.server.host)) return Status::Ok();
  return ValidationError("--test-clock is for tests only and needs a loopback --listen address, not " +
                         options.server.host);
}

Status EnableTestClock(const ServeOptions& options, Core& core) {
  if (options.test_clock_file.empty()) return Status::Ok();
  RETURN_IF_ERROR(core.clock.UseOffsetFile(options.test_clock_file));
  spdlog::warn(
      "TEST CLOCK ENABLED: time is the system clock plus the offset in {}; for tests only, never "
      "for a deployment",
      options.test_clock_file.string());
  return Status::Ok();
}

// The error that replaces an answer whose audit record could not be written,
// in the protocol the answer was built for (S3 XML, Query XML or JSON 1.1).
HttpResponse AuditFailureResponse(const HttpResponse& original) {
  const Status failure(ErrorCode::kInternal, "The request could not be recorded in the audit trail");
  std::string request_id;
  bool s3 = false;
  bool query = false;
  for (const auto& [name, value] : original.headers) {
    if (name == "x-amz-request-id") {
      s3 = true;
      request_id = value;
    }
    if (name == "x-amzn-RequestId") request_id = value;
    if (name == "Content-Type" && value == "text/xml") query = true;
  }
  if (s3) return s3::S3ErrorResponse(failure, "", request_id, false);
  if (!query) return Router::ErrorResponse(failure, request_id);
  HttpResponse response;
  response.status = 500;
  response.headers = {{"Content-Type", "text/xml"}, {"x-amzn-RequestId", request_id}};
  response.body = "<ErrorResponse><Error><Type>Receiver</Type><Code>InternalFailure</Code><Message>" +
                  failure.message() + "</Message></Error><RequestId>" + request_id +
                  "</RequestId></ErrorResponse>";
  return response;
}

// An XKS proxy answer as HTTP (JSON, as the XKS specification requires).
HttpResponse XksResponse(xks::XksProxy& proxy, const auth::HttpRequest& request) {
  xks::ProxyResponse answer = proxy.Handle({request.method, request.target, request.headers, request.body});
  HttpResponse response;
  response.status = answer.status;
  response.body = std::move(answer.body);
  response.headers = {{"Content-Type", "application/json"}};
  return response;
}

}  // namespace

bool IsPostgresSpec(const std::string& spec) {
  return spec.starts_with("postgres://") || spec.starts_with("postgresql://");
}

StatusOr<std::unique_ptr<store::Store>> OpenStoreFromSpec(const std::string& spec,
                                                          const std::filesystem::path& data_dir,
                                                          const std::string& node_id) {
  constexpr std::string_view kSqlite = "sqlite:";
  if (spec.empty() || spec.starts_with(kSqlite)) {
    store::SqliteOptions sqlite;
    sqlite.path = spec.empty() ? (data_dir / "coffer.db").string() : spec.substr(kSqlite.size());
    if (sqlite.path.empty()) return ValidationError("--store sqlite: needs a path (sqlite:PATH)");
    return store::OpenSqliteStore(sqlite);
  }
  if (IsPostgresSpec(spec)) {
    store::PostgresOptions postgres;
    postgres.conninfo = spec;
    postgres.node_id = node_id;
    return store::OpenPostgresStore(postgres);
  }
  return ValidationError("--store must be sqlite:PATH, postgres://... or postgresql://...");
}

StatusOr<std::string> ResolveNodeId(const std::filesystem::path& data_dir, const std::string& configured,
                                    RandomSource& random) {
  const std::filesystem::path file = data_dir / "node-id";
  auto stored = ReadWholeFile(file);
  std::string persisted = stored.ok() ? *stored : "";
  while (!persisted.empty() && (persisted.back() == '\n' || persisted.back() == '\r')) persisted.pop_back();
  std::string id = configured.empty() ? persisted : configured;
  if (id.empty()) {
    std::array<std::uint8_t, 6> raw{};
    RETURN_IF_ERROR(random.Fill(raw));
    id = "node-" + HexEncode(raw);
  }
  if (!audit::IsValidNodeId(id)) {
    return ValidationError(stored.ok() && configured.empty()
                               ? file.string() + " does not hold a valid node id (1-64 of A-Z a-z 0-9 . _ -)"
                               : "--node-id must be 1-64 of A-Z a-z 0-9 . _ - (not starting with '.')");
  }
  if (id != persisted) {
    if (!persisted.empty()) spdlog::warn("node id changed from {} to {} (--node-id)", persisted, id);
    RETURN_IF_ERROR(WriteFileAtomically(file, id + "\n", 0600));
  }
  return id;
}

StatusOr<std::unique_ptr<Core>> OpenCore(const CoreOptions& options) {
  auto core = std::make_unique<Core>();
  std::error_code ec;
  std::filesystem::create_directories(options.data_dir, ec);
  if (ec) return InternalError("cannot create data directory " + options.data_dir.string());
  if (::chmod(options.data_dir.c_str(), 0700) != 0) {
    return InternalError("cannot restrict data directory " + options.data_dir.string() + " to mode 0700");
  }
  if (options.root_key_provider == "file") {
    ASSIGN_OR_RETURN(core->root_key,
                     rootkey::LoadOrCreateFileRootKey(options.data_dir / "root.key", core->random));
  } else if (options.root_key_provider == "passphrase") {
    ASSIGN_OR_RETURN(std::string passphrase, ReadPassphrase(options.passphrase_env));
    auto derived =
        rootkey::DeriveRootKeyFromPassphrase(passphrase, options.data_dir / "root.salt", core->random);
    SecureWipe(passphrase.data(), passphrase.size());
    if (!derived.ok()) return derived.status();
    core->root_key = std::move(*derived);
  } else if (options.root_key_provider == "pkcs11") {
    ASSIGN_OR_RETURN(core->root_key, rootkey::OpenPkcs11RootKey(options.pkcs11, core->random));
  } else {
    return InternalError("unknown root key provider '" + options.root_key_provider +
                         "' (file | passphrase | pkcs11)");
  }
  if (IsPostgresSpec(options.store)) core->postgres_conninfo = options.store;
  if (IsPostgresSpec(options.store) || !options.node_id.empty()) {
    ASSIGN_OR_RETURN(core->node_id, ResolveNodeId(options.data_dir, options.node_id, core->random));
    std::array<std::uint8_t, 4> instance{};
    RETURN_IF_ERROR(core->random.Fill(instance));
    core->instance_id = core->node_id + "." + HexEncode(instance);
  }
  ASSIGN_OR_RETURN(core->store, OpenStoreFromSpec(options.store, options.data_dir, core->instance_id));
  core->identities =
      std::make_unique<iam::IdentityStore>(*core->store, *core->root_key, core->random, core->clock);
  return core;
}

int Serve(const ServeOptions& options) {
  if (Status st = CheckTestClockListener(options); !st.ok()) {
    spdlog::critical("{}", st.message());
    return 1;
  }
  auto core_or = OpenCore(options.core);
  if (!core_or.ok()) {
    spdlog::critical("{}", core_or.status().message());
    return 1;
  }
  Core& core = **core_or;
  if (Status st = EnableTestClock(options, core); !st.ok()) {
    spdlog::critical("{}", st.message());
    return 1;
  }
  if (Status st = Bootstrap(core, options.core.data_dir, options.region); !st.ok()) {
    spdlog::critical("{}", st.message());
    return 1;
  }
  auto model = api::ServiceModel::Load(api::EmbeddedKmsModel());
  if (!model.ok()) {
    spdlog::critical("embedded KMS model: {}", model.status().message());
    return 1;
  }
  ObservabilityOptions obs_options = options.observability;
  obs_options.node_id = core.node_id;  // names the audit chain (cluster mode)
  auto obs_or = Observability::Create(obs_options, options.core.data_dir, options.region, *core.root_key,
                                      core.random, core.clock);
  if (!obs_or.ok()) {
    spdlog::critical("{}", obs_or.status().message());
    return 1;
  }
  Observability& obs = **obs_or;
  if (Status st = obs.RegisterAuditNode(*core.store); !st.ok()) {
    spdlog::critical("{}", st.message());
    return 1;
  }
  auto timed_store = obs.Instrument(*core.store);
  auth::SigV4Verifier verifier(core.clock, *core.identities);
  kms::KeyStore keys(*timed_store, *core.root_key, core.random);
  kms::KmsService kms(keys, core.random, core.clock);
  kms::Authorizer authorizer(*core.identities, core.clock);
  kms::GrantStore grants(*core.store, core.random);
  authorizer.SetGrants(&grants);
  kms::AliasIndex alias_index(keys);
  authorizer.SetAliases(&alias_index);
  kms.SetAuthorizer(&authorizer);
  kms.SetGrants(&grants);
  // Custom key stores: AWS_CLOUDHSM on configured PKCS#11 tokens; each other
  // store type registers its factory on `custom_key_stores` here.
  kms::CustomKeyStores custom_key_stores(*timed_store, keys);
  std::vector<kms::CloudHsmCluster> cloudhsm_clusters;
  for (const std::string& spec : options.cloudhsm_clusters) {
    auto cluster = kms::ParseCloudHsmCluster(spec);
    if (!cluster.ok()) {
      spdlog::critical("{}", cluster.status().message());
      return 1;
    }
    cloudhsm_clusters.push_back(std::move(*cluster));
  }
  kms::RegisterCloudHsm(custom_key_stores, cloudhsm_clusters, core.random);
  custom_key_stores.RegisterFactory(
      kms::kTypeExternalKeyStore, xks::XksBackendFactory(keys, core.random, core.clock, options.xks_client));
  kms.SetCustomKeyStores(&custom_key_stores);
  Router router(**model, verifier, *core.identities, kms, core.random);
  QueryFront query(verifier, *core.identities);
  router.SetQueryFront(&query);
  obs.Attach(kms, keys);
  obs.ReloadQuotas(*core.store);

  // Secrets Manager on the same port, calling KMS for its callers.
  auto sm_model = api::ServiceModel::Load(api::EmbeddedSecretsManagerModel());
  if (!sm_model.ok()) {
    spdlog::critical("embedded Secrets Manager model: {}", sm_model.status().message());
    return 1;
  }
  std::vector<secrets::RotatorConfig> rotators;
  if (!options.rotators_file.empty()) {
    auto loaded = secrets::LoadRotatorConfig(options.rotators_file);
    if (!loaded.ok()) {
      spdlog::critical("{}", loaded.status().message());
      return 1;
    }
    rotators = std::move(*loaded);
  }
  kms::ServiceKms service_kms(kms);
  secrets::SecretsAuthorizer secrets_authz(*core.identities, core.clock);
  secrets::SecretsService secrets_service(*timed_store, service_kms, secrets_authz, core.random, core.clock);
  secrets::RotationRunner rotation(secrets_service, rotators);
  secrets_service.SetRotationScheduler(&rotation);
  secrets_service.SetEventSink([&obs, &core](const secrets::ServiceEvent& e) {
    obs.RecordServiceAction(audit::ServiceAction{e.event_name, "secretsmanager", e.region, e.account,
                                                 e.secret_arn, core.clock.Now(),
                                                 "AWS::SecretsManager::Secret"});
  });
  // Parameter Store (SSM) on the same port, SecureString values through KMS.
  auto ssm_model = api::ServiceModel::Load(api::EmbeddedSsmModel());
  if (!ssm_model.ok()) {
    spdlog::critical("embedded SSM model: {}", ssm_model.status().message());
    return 1;
  }
  ssm::ParameterStore parameter_store(*timed_store, service_kms, *core.identities, core.clock);
  secrets::SsmSecretReferences secret_references(secrets_service);
  parameter_store.SetSecretReferences(&secret_references);
  obs.SetHigherThroughputProbe("ssm", [&parameter_store](std::string_view account, std::string_view region) {
    return parameter_store.HigherThroughput(account, region);
  });
  std::optional<ssm::PolicyWebhook> ssm_webhook;
  if (!options.ssm_policy_webhook.empty()) ssm_webhook.emplace(options.ssm_policy_webhook);
  parameter_store.SetEventSink([&obs, &core, &ssm_webhook](const ssm::ServiceEvent& e) {
    obs.RecordServiceAction(audit::ServiceAction{e.event_name, "ssm", e.region, e.account, e.arn,
                                                 core.clock.Now(), "AWS::SSM::Parameter"});
    if (!ssm_webhook) return;
    Status posted = ssm_webhook->Post(ssm::EventBridgeEvent(e, core.clock.Now(), NewRequestId(core.random)));
    if (!posted.ok()) spdlog::warn("parameter store webhook: {}", posted.message());
  });
  RouterHooks hooks = obs.Hooks();
  StoreHealth store_health(
      core.clock, [&core] { return core.store->Ping(); }, std::chrono::seconds(1));
  hooks.store_health = [&store_health] { return store_health.Check(); };
  hooks.fronts.push_back(secrets_service.Front(**sm_model));
  hooks.fronts.push_back(parameter_store.Front(**ssm_model));
  router.SetHooks(hooks);

  // S3 on the same port: REST-XML, bodies streamed, objects sealed at rest.
  auto s3_routes = api::RestRouter::FromModelJson(api::EmbeddedS3Model());
  if (!s3_routes.ok()) {
    spdlog::critical("embedded S3 model: {}", s3_routes.status().message());
    return 1;
  }
  blobs::FileBlobStoreOptions blob_options;
  blob_options.dir = options.s3_blob_dir.empty() ? (options.core.data_dir / "s3" / "blobs").string()
                                                 : options.s3_blob_dir.string();
  // Cluster nodes may share the directory: another node's upload in progress stays.
  blob_options.shared = !core.postgres_conninfo.empty();
  std::error_code mkdir_error;
  std::filesystem::create_directories(options.core.data_dir / "s3", mkdir_error);
  // Object data keys are wrapped under the S3 service key (version 1 made on first start).
  s3::ServiceKeyring s3_service_keys(*timed_store, *core.root_key, core.clock, core.random,
                                     options.s3_service_key_rotation);
  if (auto current = s3_service_keys.Rotate(/*force=*/false); !current.ok()) {
    spdlog::critical("S3 service key: {}", current.status().message());
    return 1;
  }
  auto blob_store = blobs::OpenFileBlobStore(blob_options, *core.root_key, s3_service_keys, core.random);
  if (!blob_store.ok()) {
    spdlog::critical("S3 object storage: {}", blob_store.status().message());
    return 1;
  }
  s3::S3Service s3_service(*timed_store, **blob_store, *core.identities, core.clock, core.random);
  // SSE-KMS / DSSE-KMS: KMS on the caller's behalf; each call goes to the
  // observers (audit trail, metrics) as a KMS call S3 made for the caller.
  // Its record precedes the S3 request's own, so the S3 answer's durability
  // wait covers it.
  s3::SealerOptions sealer_options;
  sealer_options.bucket_key_ttl = options.s3_bucket_key_ttl;
  s3_service.sealer().SetOptions(sealer_options);
  s3_service.sealer().SetKms(&service_kms, [observers = hooks.observers](const RequestTrace& trace) {
    for (RequestObserver* observer : observers) (void)observer->Observe(trace);
  });
  // Before serving, while no request can hold a blob not yet recorded: blobs
  // a crash left without a record (docs/operations.md).
  if (!core.postgres_conninfo.empty()) {
    // Another node may hold a blob whose record is about to commit.
    spdlog::info("S3 orphan blob pass skipped in cluster mode (docs/operations.md)");
  } else if (auto orphans = s3::RemoveOrphanBlobs(s3_service); !orphans.ok()) {
    spdlog::error("S3 orphan blob pass: {}", orphans.status().message());
  } else {
    spdlog::info("S3 orphan blob pass removed {} blobs", *orphans);
  }
  s3::S3FrontOptions s3_options;
  s3_options.domains = options.s3_domains;
  RequestIdGenerator s3_request_ids(core.random);
  s3::S3Front s3_front(
      s3_service, *s3_routes, verifier, *core.identities, [&s3_request_ids] { return s3_request_ids.Next(); },
      s3_options);
  s3_front.SetHooks(&hooks);

  // `--xks-proxy`: the XKS Proxy API under its URI path, ahead of every other front.
  std::unique_ptr<xks::ProxyService> xks_proxy;
  if (options.xks_proxy.enabled) {
    std::string account = options.xks_proxy.account;
    auto accounts = core.identities->ListAccounts();
    if (account.empty() && accounts.ok() && accounts->size() == 1) account = accounts->front().id;
    auto opened =
        xks::OpenProxyService(options.xks_proxy, keys, core.random, core.clock, options.region, account);
    if (!opened.ok()) {
      spdlog::critical("{}", opened.status().message());
      return 1;
    }
    xks_proxy = std::move(*opened);
  }

  auto server_or = HttpServer::Create(
      options.server,
      [&router, &xks_proxy](const auth::HttpRequest& r, const ConnectionInfo& c) {
        if (xks_proxy && xks_proxy->proxy.Claims(r.target)) return XksResponse(xks_proxy->proxy, r);
        return router.Handle(r, c);
      },
      [&core](const Status& st) { return Router::ErrorResponse(st, NewRequestId(core.random)); });
  if (!server_or.ok()) {
    spdlog::critical("{}", server_or.status().message());
    return 1;
  }
  HttpServer& server = **server_or;
  // Health and metrics pages stay on the buffered path: a load balancer's
  // probe must never become an S3 request for a bucket named "healthz"
  // (/metrics stays off S3 even with --metrics off).
  std::vector<std::string> plain_paths = {"/healthz", "/ping", "/metrics"};
  for (const auto& page : hooks.pages) plain_paths.push_back(page.path);
  server.SetStreamRouter([&s3_front, &xks_proxy, plain_paths](
                             const RequestHead& head, const ConnectionInfo& c) -> std::optional<StreamStart> {
    if (xks_proxy && xks_proxy->proxy.Claims(head.target())) return std::nullopt;
    if (head.method() == "GET" &&
        std::find(plain_paths.begin(), plain_paths.end(), head.target()) != plain_paths.end()) {
      return std::nullopt;
    }
    if (!s3::S3Front::Claims(head)) return std::nullopt;
    return s3_front.Start(head, c);
  });
  if (auto waiter = obs.Waiter()) server.SetDurabilityWaiter(std::move(waiter));
  server.SetUndurableHandler([](const HttpResponse& original) { return AuditFailureResponse(original); });

  // Cluster mode: caches follow other nodes' writes, and one node sweeps.
  NodeCaches caches{keys, *core.identities, verifier, authorizer, [&server, &obs, &core, &parameter_store] {
                      parameter_store.ForgetThroughputSettings();
                      boost::asio::post(server.io(), [&obs, &core] { obs.ReloadQuotas(*core.store); });
                    }};
  std::unique_ptr<store::ChangeWatcher> change_watcher;
  std::unique_ptr<store::LeaderLock> sweeper_lock;
  std::unique_ptr<NodeHeartbeat> heartbeat;
  if (!core.postgres_conninfo.empty()) {
    change_watcher = store::WatchPostgresChanges(
        {.conninfo = core.postgres_conninfo,
         .node_id = core.instance_id,
         .check_interval = options.cluster_check_interval},
        [&caches](const store::ChangeNotice& notice) { ForgetChanged(notice, caches); });
    sweeper_lock = store::NewPostgresSweeperLock(core.postgres_conninfo);
    // Each node admits its share of every quota; a silent node drops out of
    // the count after three check intervals (docs/operations.md).
    heartbeat = std::make_unique<NodeHeartbeat>(
        store::NewPostgresNodeRegistry(core.postgres_conninfo, core.node_id,
                                       3 * options.cluster_check_interval),
        options.cluster_check_interval, [&obs](int live) { obs.SetLiveNodes(live); });
    spdlog::info("cluster mode: node {} on PostgreSQL", core.node_id);
  }
  SweeperGate sweeper_gate(std::move(sweeper_lock));
  Periodic sweeper(server.io(), options.sweep_interval, [&] {
    if (!sweeper_gate.ShouldSweep()) return;
    auto changed = kms.RunSweeper();
    if (!changed.ok())
      spdlog::error("sweeper: {}", changed.status().message());
    else if (*changed > 0)
      spdlog::info("sweeper changed {} keys", *changed);
    auto secrets_changed = secrets_service.RunSweeper();
    if (!secrets_changed.ok())
      spdlog::error("secrets sweeper: {}", secrets_changed.status().message());
    else if (*secrets_changed > 0)
      spdlog::info("sweeper changed {} secrets", *secrets_changed);
    auto parameter_events = parameter_store.RunSweeper();
    if (!parameter_events.ok())
      spdlog::error("parameter sweeper: {}", parameter_events.status().message());
    else if (*parameter_events > 0)
      spdlog::info("parameter sweeper: {} policy actions", *parameter_events);
    if (auto rotated = s3_service_keys.Rotate(/*force=*/false); !rotated.ok())
      spdlog::error("S3 service key rotation: {}", rotated.status().message());
    else if (rotated->rotated)
      spdlog::info("sweeper rotated the S3 service key to version {}", rotated->version);
    if (options.s3_abort_incomplete_after.count() > 0) {
      auto aborted = s3::AbortStaleUploads(s3_service, options.s3_abort_incomplete_after);
      if (!aborted.ok())
        spdlog::error("S3 upload sweeper: {}", aborted.status().message());
      else if (*aborted > 0)
        spdlog::info("S3 upload sweeper aborted {} incomplete multipart uploads", *aborted);
    }
  });
  Periodic quota_reload(server.io(), options.quota_reload, [&obs, &core] { obs.ReloadQuotas(*core.store); });

  boost::asio::signal_set signals(server.io(), SIGTERM, SIGINT);
  signals.async_wait([&](const boost::system::error_code& ec, int) {
    if (ec) return;
    spdlog::info("shutting down: finishing requests in flight");
    sweeper.Stop();
    quota_reload.Stop();
    server.Stop();
  });

  PrintBanner(options, server.port(), server.tls());
  if (!options.ready_file.empty()) {
    const std::string scheme = server.tls() ? "https" : "http";
    const nlohmann::json ready = {
        {"endpoint", scheme + "://" + options.server.host + ":" + std::to_string(server.port())},
        {"port", server.port()},
        {"region", options.region}};
    if (Status st = WriteFileAtomically(options.ready_file, ready.dump(), 0644); !st.ok()) {
      spdlog::critical("{}", st.message());
      return 1;
    }
  }
  server.Run();
  obs.Shutdown();  // flushes the audit log and signs the final digest
  spdlog::info("stopped cleanly");
  return 0;
}

}  // namespace coffer::server

// Wiring of one Coffer process: data directory, root key, store, identities,
// KMS service, router and listener. `coffer serve` and `coffer admin` both
// start from OpenCore.
#pragma once

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "common/clock.h"
#include "crypto/crypto.h"
#include "iam/identity_store.h"
#include "rootkey/pkcs11_root_key.h"
#include "rootkey/root_key.h"
#include "server/http_server.h"
#include "server/observability.h"
#include "server/test_clock.h"
#include "store/store.h"
#include "xks/backend.h"
#include "xks/serve.h"

namespace coffer::server {

struct CoreOptions {
  std::filesystem::path data_dir = "data";
  std::string root_key_provider = "file";  // file | passphrase | pkcs11
  // The pkcs11 provider's module, token, PIN file and key label; its session
  // pool is sized to the io threads by `serve`.
  rootkey::Pkcs11Options pkcs11;
  // The passphrase provider reads this environment variable.
  std::string passphrase_env = "COFFER_ROOT_PASSPHRASE";
  // Where the durable state lives (OpenStoreFromSpec): empty or "sqlite:PATH"
  // for SQLite (default <data_dir>/coffer.db), "postgres://..." or
  // "postgresql://..." for PostgreSQL (cluster mode, docs/operations.md).
  std::string store;
  // This node's name among the cluster's nodes (--node-id); empty: the one
  // persisted in <data_dir>/node-id, created on first start (cluster mode).
  std::string node_id;
};

// The store named by `spec` (CoreOptions::store), opened and migrated.
// kValidation for a spec of no known kind.
// `node_id` names this process in PostgreSQL change announcements.
StatusOr<std::unique_ptr<store::Store>> OpenStoreFromSpec(const std::string& spec,
                                                          const std::filesystem::path& data_dir,
                                                          const std::string& node_id);

// Whether `spec` selects the PostgreSQL store.
bool IsPostgresSpec(const std::string& spec);

// The durable core: everything but the network.
struct Core {
  crypto::OsRandom random;
  ProcessClock clock;  // the system clock unless --test-clock
  std::unique_ptr<rootkey::RootKey> root_key;
  std::unique_ptr<store::Store> store;
  std::unique_ptr<iam::IdentityStore> identities;
  // Cluster mode (a PostgreSQL store): its conninfo and this node's id among
  // the nodes, stable across restarts (it names the node's audit chain);
  // both empty on SQLite unless --node-id was given.
  std::string postgres_conninfo;
  std::string node_id;
  // node_id plus a suffix drawn at every start: names this process in change
  // announcements, so a process never skips another's announcement even if
  // two were (wrongly) given one node id.
  std::string instance_id;
};

// The node id: `configured` if set (and then persisted), else the one in
// <data_dir>/node-id, else a new random one written there. kValidation for
// an id that is not 1-64 of [A-Za-z0-9._-].
StatusOr<std::string> ResolveNodeId(const std::filesystem::path& data_dir, const std::string& configured,
                                    RandomSource& random);

StatusOr<std::unique_ptr<Core>> OpenCore(const CoreOptions& options);

struct ServeOptions {
  CoreOptions core;
  ServerOptions server;
  std::string ready_file;  // written (atomically) once listening
  std::string region = "us-east-1";
  std::chrono::seconds sweep_interval{60};
  ObservabilityOptions observability;    // audit, quotas, metrics, access log
  std::chrono::seconds quota_reload{5};  // how often admin set-quota changes are read
  // Integration tests only: the clock is system time plus the offset in this
  // file (server/test_clock.h). Refused unless the listener is loopback.
  std::filesystem::path test_clock_file;
  // Secrets Manager rotators (secrets/rotation/rotator.h); empty: none.
  std::string rotators_file;
  // Host names for virtual-hosted S3 requests (<bucket>.<domain>).
  std::vector<std::string> s3_domains;
  // Multipart uploads initiated longer ago are aborted by the sweeper; 0: never.
  std::chrono::seconds s3_abort_incomplete_after{7 * 24 * 3600};
  // How long an S3 Bucket Key from KMS is reused (s3/encryption.h).
  std::chrono::seconds s3_bucket_key_ttl{300};
  // The sweeper makes a new S3 service key version once the current one is
  // this old (s3/service_key.h); 0: only `coffer admin rotate-s3-service-key`.
  std::chrono::seconds s3_service_key_rotation{std::chrono::hours(24 * 365)};
  // Where S3 object bytes live; empty: <data-dir>/s3/blobs. In cluster mode a
  // directory every node mounts (docs/operations.md, "Shared blob directory").
  std::filesystem::path s3_blob_dir;
  // KMS custom key stores of type AWS_CLOUDHSM: "ID=MODULE_PATH:TOKEN_LABEL",
  // one PKCS#11 token standing for each CloudHSM cluster id (--cloudhsm-cluster).
  std::vector<std::string> cloudhsm_clusters;
  // Parameter Store policy events (ssm/webhook.h) are POSTed here; empty: trail only.
  std::string ssm_policy_webhook;
  // KMS custom key stores of type EXTERNAL_KEY_STORE: how this server calls
  // XKS proxies (deadline per call, trust anchors of their certificates).
  xks::BackendOptions xks_client;
  // `--xks-proxy`: this server is also an XKS proxy for its own KMS keys.
  xks::ProxyServeOptions xks_proxy;
  // Cluster mode: how often the cluster generation is read, which bounds how
  // long a missed change announcement can leave a cache stale.
  std::chrono::milliseconds cluster_check_interval{1000};
};

// Runs the server until SIGTERM/SIGINT. Returns the process exit code.
int Serve(const ServeOptions& options);

}  // namespace coffer::server

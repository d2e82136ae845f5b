// Cluster mode (several nodes on one PostgreSQL store): what a node's caches
// forget when another node writes, the gate that lets one node at a time run
// the sweeper, and the heartbeat that tells a node how many share its quotas.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string_view>
#include <thread>

#include "auth/sigv4.h"
#include "iam/identity_store.h"
#include "kms/authorizer.h"
#include "kms/key_store.h"
#include "store/store.h"

namespace coffer::server {

// Every cache of a node whose contents another node's writes can make stale.
struct NodeCaches {
  kms::KeyStore& keys;                  // key records and material, aliases
  iam::IdentityStore& identities;       // principals, identity policies
  auth::SigV4Verifier& verifier;        // signing keys of access keys
  kms::Authorizer& authorizer;          // decisions (key policies, grants, IAM)
  std::function<void()> reload_quotas;  // quota overrides (admin set-quota), throughput settings
};

// Forgets what `notice` may have made stale: by table when it names tables
// (a table this file does not know forgets everything), else everything.
void ForgetChanged(const store::ChangeNotice& notice, NodeCaches& caches);

// Whether this node runs the sweeper now. Without a lock (one node on
// SQLite) always; with one, while it holds it. Logs when leadership moves.
class SweeperGate {
 public:
  explicit SweeperGate(std::unique_ptr<store::LeaderLock> lock) : lock_(std::move(lock)) {}
  bool ShouldSweep();

 private:
  std::unique_ptr<store::LeaderLock> lock_;
  bool leading_ = false;
};

// This node's heartbeat in the cluster's node registry, on a thread of its
// own every `interval`; `on_live` hears the live node count (this one
// included) after every heartbeat that reached the database. While the
// database cannot be reached the last count stands. The first heartbeat runs
// in the constructor, so a node starts serving with its share already known.
// Destruction stops the thread and leaves the registry.
class NodeHeartbeat {
 public:
  NodeHeartbeat(std::unique_ptr<store::NodeRegistry> registry, std::chrono::milliseconds interval,
                std::function<void(int)> on_live);
  ~NodeHeartbeat();
  NodeHeartbeat(const NodeHeartbeat&) = delete;
  NodeHeartbeat& operator=(const NodeHeartbeat&) = delete;

 private:
  void Beat();
  void Run();

  std::unique_ptr<store::NodeRegistry> registry_;
  const std::chrono::milliseconds interval_;
  std::function<void(int)> on_live_;
  int last_live_ = 0;
  std::mutex mu_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace coffer::server

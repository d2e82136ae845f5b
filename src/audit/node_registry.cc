#include "audit/node_registry.h"

#include <nlohmann/json.hpp>

#include "audit/chain.h"
#include "audit/signing_key_store.h"
#include "crypto/signing_key.h"

namespace coffer::audit {
namespace {

using nlohmann::json;

StatusOr<RegisteredNode> ParseNode(const store::Entry& entry) {
  const json doc = json::parse(entry.value, nullptr, false);
  if (doc.is_discarded() || !doc.is_object() || !doc.value("publicKeyPem", json()).is_string() ||
      !doc.value("fingerprint", json()).is_string()) {
    return InternalError("audit node register: the entry of node " + entry.key + " is malformed");
  }
  return RegisteredNode{entry.key, doc["publicKeyPem"].get<std::string>(),
                        doc["fingerprint"].get<std::string>(), doc.value("registeredAt", "")};
}

}  // namespace

Status RegisterNode(store::Store& store, const std::string& node_id, ByteView public_der, TimePoint now) {
  const std::string fingerprint = KeyFingerprint(public_der);
  ASSIGN_OR_RETURN(auto txn, store.BeginWrite());
  ASSIGN_OR_RETURN(std::optional<std::string> existing, txn->Get(kNodeTable, node_id));
  if (existing) {
    ASSIGN_OR_RETURN(RegisteredNode node, ParseNode(store::Entry{node_id, *existing}));
    if (node.fingerprint == fingerprint) return Status::Ok();  // read-only: rolled back
    return Status(ErrorCode::kConflict,
                  "audit node " + node_id + " is registered with another signing key (fingerprint " +
                      node.fingerprint + "): another data directory uses this --node-id, or this node's " +
                      "audit directory was replaced; start it under a new --node-id");
  }
  const json doc = {{"publicKeyPem", crypto::PublicKeyPem(public_der)},
                    {"fingerprint", fingerprint},
                    {"registeredAt", IsoTime(now)}};
  RETURN_IF_ERROR(txn->Put(kNodeTable, node_id, doc.dump()));
  return txn->Commit();
}

StatusOr<std::vector<RegisteredNode>> ListRegisteredNodes(store::Store& store) {
  ASSIGN_OR_RETURN(auto txn, store.BeginRead());
  std::vector<RegisteredNode> nodes;
  std::string after;
  while (true) {
    ASSIGN_OR_RETURN(std::vector<store::Entry> page, txn->Scan(kNodeTable, "", after, 100));
    for (const store::Entry& entry : page) {
      ASSIGN_OR_RETURN(RegisteredNode node, ParseNode(entry));
      nodes.push_back(std::move(node));
    }
    if (page.size() < 100) break;
    after = page.back().key;
  }
  return nodes;
}

}  // namespace coffer::audit

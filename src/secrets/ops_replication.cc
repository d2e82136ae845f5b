// ReplicateSecretToRegions, RemoveRegionsFromReplication,
// StopReplicationToReplica, and keeping replicas in step with their primary.
// A replica is a read-only secret of the same name and ARN suffix in another
// region of this server, each version sealed again under the replica
// region's KMS key (its own encryption context, with the replica's ARN).
#include <algorithm>

#include "secrets/errors.h"
#include "secrets/service.h"
#include "secrets/table.h"

namespace coffer::secrets {
namespace {

std::string ReplicaArn(const SecretRecord& primary, std::string_view region) {
  const std::string from = ":" + primary.region + ":";
  std::string arn = primary.arn;
  arn.replace(arn.find(from), from.size(), ":" + std::string(region) + ":");
  return arn;
}

Json StatusList(const SecretRecord& r) {
  Json out = Json::array();
  for (const auto& rep : r.replicas) {
    Json e = {{"Region", rep.region}, {"Status", rep.status}};
    if (!rep.kms_key_id.empty()) e["KmsKeyId"] = rep.kms_key_id;
    if (!rep.status_message.empty()) e["StatusMessage"] = rep.status_message;
    out.push_back(e);
  }
  return out;
}

}  // namespace

Status SecretsService::SyncReplicas(const Caller& c, const std::string& name, std::string_view region) {
  SecretRecord primary;
  {
    ASSIGN_OR_RETURN(auto txn, store_.BeginRead());
    ASSIGN_OR_RETURN(auto found, SecretTable::Get(*txn, c.account, region, name));
    if (!found || found->is_replica()) return Status::Ok();
    primary = std::move(*found);
  }
  for (Replica& rep : primary.replicas) {
    const std::string arn = ReplicaArn(primary, rep.region);
    ASSIGN_OR_RETURN(auto rtxn, store_.BeginRead());
    ASSIGN_OR_RETURN(auto existing, SecretTable::Get(*rtxn, primary.account, rep.region, primary.name));
    RETURN_IF_ERROR(rtxn->Commit());
    if (existing && existing->arn != arn) {
      rep.status = "Failed";
      rep.status_message = "Replication failed: a secret with this name already exists in the Region.";
      continue;
    }
    SecretRecord replica = existing ? std::move(*existing) : SecretRecord{};
    replica.arn = arn;
    replica.name = primary.name;
    replica.account = primary.account;
    replica.region = rep.region;
    replica.primary_region = primary.region;
    replica.description = primary.description;
    replica.kms_key_id = rep.kms_key_id;
    replica.tags = primary.tags;
    replica.policy = primary.policy;
    replica.rotation = primary.rotation;
    replica.rotation.pending_token.clear();
    if (replica.created_ms == 0) replica.created_ms = NowMs();
    replica.last_changed_ms = NowMs();
    std::map<std::string, SealedValue> fresh;
    Status failed = Status::Ok();
    for (const auto& [vid, meta] : primary.versions) {
      if (replica.versions.contains(vid)) continue;
      ASSIGN_OR_RETURN(auto txn, store_.BeginRead());
      ASSIGN_OR_RETURN(auto sealed, SecretTable::GetValue(*txn, primary.arn, vid));
      RETURN_IF_ERROR(txn->Commit());
      if (!sealed) continue;
      auto value = sealer_.Open(Via(c, primary.region), *sealed, primary.arn, vid);
      if (!value.ok()) {
        failed = value.status();
        break;
      }
      auto resealed = sealer_.Seal(Via(c, rep.region), KeyIdOf(replica), arn, vid, *value);
      if (!resealed.ok()) {
        failed = resealed.status();
        break;
      }
      fresh.emplace(vid, std::move(*resealed));
    }
    if (!failed.ok()) {
      rep.status = "Failed";
      rep.status_message = "Replication failed: " + failed.message();
      continue;
    }
    ASSIGN_OR_RETURN(auto txn, store_.BeginWrite());
    std::map<std::string, VersionMeta> versions;
    for (const auto& [vid, meta] : primary.versions) {
      VersionMeta copy = meta;
      if (auto it = fresh.find(vid); it != fresh.end()) {
        copy.kms_key_arns.clear();
        for (const auto& k : it->second.keys) copy.kms_key_arns.push_back(k.key_arn);
        RETURN_IF_ERROR(SecretTable::PutValue(*txn, arn, vid, it->second));
      } else if (auto old = replica.versions.find(vid); old != replica.versions.end()) {
        copy.kms_key_arns = old->second.kms_key_arns;
        copy.last_accessed_ms = old->second.last_accessed_ms;
      }
      versions.emplace(vid, std::move(copy));
    }
    for (const auto& [vid, meta] : replica.versions) {
      if (!primary.versions.contains(vid)) RETURN_IF_ERROR(SecretTable::DeleteValue(*txn, arn, vid));
    }
    replica.versions = std::move(versions);
    RETURN_IF_ERROR(SecretTable::Put(*txn, replica));
    RETURN_IF_ERROR(txn->Commit());
    rep.status = "InSync";
    rep.status_message = "Replication succeeded";
  }
  ASSIGN_OR_RETURN(auto txn, store_.BeginWrite());
  ASSIGN_OR_RETURN(auto current, SecretTable::Get(*txn, primary.account, primary.region, primary.name));
  if (!current || current->arn != primary.arn) return Status::Ok();
  for (Replica& rep : current->replicas) {
    for (const Replica& done : primary.replicas) {
      if (done.region == rep.region) {
        rep.status = done.status;
        rep.status_message = done.status_message;
      }
    }
  }
  RETURN_IF_ERROR(SecretTable::Put(*txn, *current));
  return txn->Commit();
}

StatusOr<Json> SecretsService::ReplicateSecretToRegions(const Caller& c, const Json& req) {
  SecretRecord r;
  const bool force = req.value("ForceOverwriteReplicaSecret", false);
  {
    ASSIGN_OR_RETURN(auto txn, store_.BeginWrite());
    ASSIGN_OR_RETURN(r, Resolve(*txn, c, req.at("SecretId").get<std::string>(), "ReplicateSecretToRegions"));
    RETURN_IF_ERROR(CheckWritable(r));
    for (const auto& add : req.at("AddReplicaRegions")) {
      const std::string region = add.value("Region", "");
      if (region.empty()) return InvalidParameter("A replica Region must be given.");
      if (region == r.region) return InvalidParameter("You can't replicate a secret to its own Region.");
      if (std::any_of(r.replicas.begin(), r.replicas.end(),
                      [&](const Replica& x) { return x.region == region; })) {
        continue;
      }
      ASSIGN_OR_RETURN(auto clash, SecretTable::Get(*txn, r.account, region, r.name));
      Replica rep;
      rep.region = region;
      rep.kms_key_id = add.value("KmsKeyId", "");
      rep.status = "InProgress";
      if (clash && clash->arn != ReplicaArn(r, region)) {
        if (!force) {
          rep.status = "Failed";
          rep.status_message = "Replication failed: Secret name already exists in Region " + region + ".";
        } else {
          RETURN_IF_ERROR(SecretTable::Remove(*txn, *clash));
        }
      }
      r.replicas.push_back(std::move(rep));
    }
    RETURN_IF_ERROR(SecretTable::Put(*txn, r));
    RETURN_IF_ERROR(txn->Commit());
  }
  RETURN_IF_ERROR(SyncReplicas(c, r.name, r.region));
  ASSIGN_OR_RETURN(auto txn, store_.BeginRead());
  ASSIGN_OR_RETURN(auto done, SecretTable::Get(*txn, r.account, r.region, r.name));
  return Json{{"ARN", r.arn}, {"ReplicationStatus", done ? StatusList(*done) : Json::array()}};
}

StatusOr<Json> SecretsService::RemoveRegionsFromReplication(const Caller& c, const Json& req) {
  ASSIGN_OR_RETURN(auto txn, store_.BeginWrite());
  ASSIGN_OR_RETURN(SecretRecord r,
                   Resolve(*txn, c, req.at("SecretId").get<std::string>(), "RemoveRegionsFromReplication"));
  RETURN_IF_ERROR(CheckWritable(r));
  for (const auto& region_json : req.at("RemoveReplicaRegions")) {
    const std::string region = region_json.get<std::string>();
    auto it = std::find_if(r.replicas.begin(), r.replicas.end(),
                           [&](const Replica& x) { return x.region == region; });
    if (it == r.replicas.end()) {
      return InvalidParameter("The secret isn't replicated to Region " + region + ".");
    }
    ASSIGN_OR_RETURN(auto replica, SecretTable::Get(*txn, r.account, region, r.name));
    if (replica && replica->arn == ReplicaArn(r, region))
      RETURN_IF_ERROR(SecretTable::Remove(*txn, *replica));
    r.replicas.erase(it);
  }
  RETURN_IF_ERROR(SecretTable::Put(*txn, r));
  RETURN_IF_ERROR(txn->Commit());
  return Json{{"ARN", r.arn}, {"ReplicationStatus", StatusList(r)}};
}

StatusOr<Json> SecretsService::StopReplicationToReplica(const Caller& c, const Json& req) {
  ASSIGN_OR_RETURN(auto txn, store_.BeginWrite());
  ASSIGN_OR_RETURN(SecretRecord r,
                   Resolve(*txn, c, req.at("SecretId").get<std::string>(), "StopReplicationToReplica"));
  if (!r.is_replica()) {
    return InvalidRequest(
        "StopReplicationToReplica must be called on a replica secret, in the replica's Region.");
  }
  ASSIGN_OR_RETURN(auto primary, SecretTable::Get(*txn, r.account, r.primary_region, r.name));
  if (primary) {
    std::erase_if(primary->replicas, [&](const Replica& x) { return x.region == r.region; });
    RETURN_IF_ERROR(SecretTable::Put(*txn, *primary));
  }
  r.primary_region.clear();
  RETURN_IF_ERROR(SecretTable::Put(*txn, r));
  RETURN_IF_ERROR(txn->Commit());
  return Json{{"ARN", r.arn}};
}

}  // namespace coffer::secrets

// RotateSecret, CancelRotateSecret, and the service side of rotation: the
// schedule, starting a rotation (the runner drives the four steps) and
// recording its outcome.
#include <regex>

#include "secrets/errors.h"
#include "secrets/schedule.h"
#include "secrets/service.h"
#include "secrets/table.h"

namespace coffer::secrets {
namespace {

constexpr std::int64_t kHourMs = 3600LL * 1000;

StatusOr<Schedule> ScheduleOf(const RotationSettings& s) {
  if (!s.schedule_expression.empty()) return Schedule::Parse(s.schedule_expression);
  if (s.automatically_after_days) return Schedule::EveryDays(*s.automatically_after_days);
  return InvalidParameter("The rotation rules need AutomaticallyAfterDays or ScheduleExpression.");
}

// A previous rotation is incomplete while AWSPENDING sits on a version that
// is not AWSCURRENT.
bool RotationInProgress(const SecretRecord& r) {
  const std::string* pending = r.VersionWithStage(kPending);
  const std::string* current = r.VersionWithStage(kCurrent);
  return pending != nullptr && (current == nullptr || *pending != *current);
}

}  // namespace

std::int64_t SecretsService::NextRotation(const SecretRecord& r, std::int64_t from_ms) const {
  auto schedule = ScheduleOf(r.rotation);
  return schedule.ok() ? schedule->Next(from_ms) : 0;
}

StatusOr<Json> SecretsService::RotateSecret(const Caller& c, const Json& req) {
  const std::string id = req.at("SecretId").get<std::string>();
  policy::ContextKeys keys;
  if (req.contains("RotationLambdaARN")) {
    keys.Set("secretsmanager:RotationLambdaARN", req.at("RotationLambdaARN").get<std::string>());
  }
  SecretRecord r;
  {
    ASSIGN_OR_RETURN(auto txn, store_.BeginRead());
    ASSIGN_OR_RETURN(r, Resolve(*txn, c, id, "RotateSecret", std::move(keys)));
  }
  RETURN_IF_ERROR(CheckWritable(r));
  RotationSettings next = r.rotation;
  if (req.contains("RotationLambdaARN")) next.lambda_arn = req.at("RotationLambdaARN").get<std::string>();
  if (next.lambda_arn.empty()) {
    return InvalidRequest("No Lambda rotation function ARN is associated with this secret.");
  }
  if (rotation_ == nullptr || !rotation_->Knows(next.lambda_arn)) {
    return Status(
        ErrorCode::kAccessDenied,
        "Secrets Manager cannot invoke the specified Lambda function. Ensure that the function policy "
        "grants access to the principal secretsmanager.amazonaws.com. (No rotator is configured for " +
            next.lambda_arn + ".)");
  }
  if (req.contains("RotationRules")) {
    const Json& rules = req.at("RotationRules");
    if (rules.contains("AutomaticallyAfterDays") && rules.contains("ScheduleExpression")) {
      return InvalidParameter("You cannot specify both rotation frequency keys.");
    }
    next.automatically_after_days.reset();
    next.schedule_expression.clear();
    next.duration = rules.value("Duration", "");
    if (rules.contains("AutomaticallyAfterDays"))
      next.automatically_after_days = rules.at("AutomaticallyAfterDays");
    if (rules.contains("ScheduleExpression")) next.schedule_expression = rules.at("ScheduleExpression");
    ASSIGN_OR_RETURN(Schedule schedule, ScheduleOf(next));
    if (!next.duration.empty()) {
      static const std::regex kDuration("^([0-9]{1,2})h$");
      std::smatch m;
      if (!std::regex_match(next.duration, m, kDuration)) {
        return InvalidParameter("Invalid Duration " + next.duration + ": expected <hours>h, from 1h to 24h.");
      }
      const int hours = std::stoi(m[1].str());
      if (hours < 1 || hours > 24) return InvalidParameter("Duration must be between 1h and 24h.");
      if (hours * kHourMs >= schedule.MinIntervalMs()) {
        return InvalidParameter("The rotation window (Duration) must be shorter than the rotation interval.");
      }
    }
  }
  const bool immediately = req.value("RotateImmediately", true);
  if (immediately && RotationInProgress(r)) {
    return InvalidRequest("A previous rotation isn't complete. That rotation will be reattempted.");
  }
  if (immediately && r.VersionWithStage(kCurrent) == nullptr) {
    return InvalidRequest("The secret has no AWSCURRENT version to rotate.");
  }
  next.enabled = true;
  r.rotation = next;
  r.rotation.next_rotation_ms = NextRotation(r, NowMs());
  std::string token = req.value("ClientRequestToken", "");
  if (token.empty()) {
    ASSIGN_OR_RETURN(token, NewVersionId());
  }
  {
    ASSIGN_OR_RETURN(auto txn, store_.BeginWrite());
    ASSIGN_OR_RETURN(auto current, SecretTable::Get(*txn, r.account, r.region, r.name));
    if (!current || current->arn != r.arn) return SecretNotFound();
    const std::string pending = current->rotation.pending_token;
    current->rotation = r.rotation;
    current->rotation.pending_token = pending;
    current->last_changed_ms = NowMs();
    RETURN_IF_ERROR(SecretTable::Put(*txn, *current));
    RETURN_IF_ERROR(txn->Commit());
    r = std::move(*current);
  }
  if (!immediately) return Json{{"ARN", r.arn}, {"Name", r.name}};
  return StartRotation(c, std::move(r), token);
}

StatusOr<Json> SecretsService::StartRotation(const Caller& c, SecretRecord r, std::string token) {
  (void)c;
  {
    ASSIGN_OR_RETURN(auto txn, store_.BeginWrite());
    ASSIGN_OR_RETURN(auto current, SecretTable::Get(*txn, r.account, r.region, r.name));
    if (!current || current->arn != r.arn) return SecretNotFound();
    current->rotation.pending_token = token;
    RETURN_IF_ERROR(SecretTable::Put(*txn, *current));
    RETURN_IF_ERROR(txn->Commit());
  }
  Emit("RotationStarted", r);
  rotation_->Schedule(r.account, r.region, r.arn, token);
  return Json{{"ARN", r.arn}, {"Name", r.name}, {"VersionId", token}};
}

Status SecretsService::RecordRotationResult(std::string_view account, std::string_view region,
                                            std::string_view arn, std::string_view token,
                                            const Status& outcome) {
  Caller c = ServiceCaller(account, region);
  ASSIGN_OR_RETURN(auto txn, store_.BeginWrite());
  ASSIGN_OR_RETURN(auto found, Find(*txn, c, arn));
  if (!found) return Status::Ok();  // deleted meanwhile
  SecretRecord& r = *found;
  if (r.rotation.pending_token != token) return Status::Ok();  // cancelled or superseded
  const std::int64_t now = NowMs();
  std::string event;
  if (outcome.ok()) {
    // As on AWS, the finished version keeps AWSCURRENT and loses AWSPENDING.
    if (auto v = r.versions.find(std::string(token)); v != r.versions.end()) {
      std::erase(v->second.stages, std::string(kPending));
    }
    r.rotation.last_rotated_ms = now;
    r.rotation.next_rotation_ms = r.rotation.enabled ? NextRotation(r, now) : 0;
    r.rotation.pending_token.clear();
    r.rotation.last_failure.clear();
    r.rotation.failed_attempts = 0;
    event = "RotationSucceeded";
  } else {
    r.rotation.last_failure = outcome.message();
    ++r.rotation.failed_attempts;
    event = "RotationFailed";
  }
  RETURN_IF_ERROR(SecretTable::Put(*txn, r));
  RETURN_IF_ERROR(txn->Commit());
  Emit(event, r);
  if (outcome.ok() && !r.replicas.empty()) return SyncReplicas(c, r.name, r.region);
  return Status::Ok();
}

StatusOr<Json> SecretsService::CancelRotateSecret(const Caller& c, const Json& req) {
  ASSIGN_OR_RETURN(auto txn, store_.BeginWrite());
  ASSIGN_OR_RETURN(SecretRecord r,
                   Resolve(*txn, c, req.at("SecretId").get<std::string>(), "CancelRotateSecret"));
  RETURN_IF_ERROR(CheckWritable(r));
  Json out = {{"ARN", r.arn}, {"Name", r.name}};
  // As on AWS, the AWSPENDING label of a partial rotation stays where it is.
  if (const std::string* pending = r.VersionWithStage(kPending); pending != nullptr)
    out["VersionId"] = *pending;
  r.rotation.enabled = false;
  r.rotation.pending_token.clear();
  r.rotation.next_rotation_ms = 0;
  RETURN_IF_ERROR(SecretTable::Put(*txn, r));
  RETURN_IF_ERROR(txn->Commit());
  return out;
}

}  // namespace coffer::secrets

#include "secrets/rotation/runner.h"

#include <spdlog/spdlog.h>

#include "secrets/errors.h"

namespace coffer::secrets {
namespace {

constexpr std::string_view kSteps[] = {"createSecret", "setSecret", "testSecret", "finishSecret"};

// arn:aws:lambda:<region>:<account>:function:<name>[:qualifier] -> (account, name)
std::optional<std::pair<std::string, std::string>> ParseFunctionArn(std::string_view arn) {
  constexpr std::string_view kPrefix = "arn:aws:lambda:";
  if (!arn.starts_with(kPrefix)) return std::nullopt;
  std::vector<std::string> parts;
  std::string_view rest = arn.substr(kPrefix.size());
  while (true) {
    auto colon = rest.find(':');
    parts.emplace_back(rest.substr(0, colon));
    if (colon == std::string_view::npos) break;
    rest = rest.substr(colon + 1);
  }
  if (parts.size() < 4 || parts[2] != "function" || parts[3].empty()) return std::nullopt;
  return std::make_pair(parts[1], parts[3]);
}

bool VersionHas(const Json& described, const std::string& token, std::string_view stage) {
  auto stages = described.value("VersionIdsToStages", Json::object());
  if (!stages.contains(token)) return false;
  for (const auto& s : stages.at(token)) {
    if (s.get<std::string>() == stage) return true;
  }
  return false;
}

}  // namespace

RotationRunner::RotationRunner(SecretsService& service, const std::vector<RotatorConfig>& configs,
                               bool threaded)
    : service_(service) {
  for (const auto& config : configs) {
    rotators_[config.name] = {config.account, MakeRotator(config, service)};
  }
  if (threaded) worker_ = std::thread([this] { Loop(); });
}

RotationRunner::~RotationRunner() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (worker_.joinable()) worker_.join();
}

void RotationRunner::Add(const std::string& name, std::unique_ptr<Rotator> rotator) {
  rotators_[name] = {"", std::move(rotator)};
}

Rotator* RotationRunner::Find(std::string_view lambda_arn) const {
  auto parsed = ParseFunctionArn(lambda_arn);
  if (!parsed) return nullptr;
  auto it = rotators_.find(parsed->second);
  if (it == rotators_.end() || it->second.second == nullptr) return nullptr;
  if (!it->second.first.empty() && it->second.first != parsed->first) return nullptr;
  return it->second.second.get();
}

bool RotationRunner::Knows(std::string_view lambda_arn) const { return Find(lambda_arn) != nullptr; }

void RotationRunner::Schedule(std::string account, std::string region, std::string secret_arn,
                              std::string token) {
  {
    std::lock_guard lock(mu_);
    queue_.push_back({std::move(account), std::move(region), std::move(secret_arn), std::move(token)});
  }
  cv_.notify_one();
}

int RotationRunner::RunQueued() {
  int n = 0;
  while (true) {
    Job job;
    {
      std::lock_guard lock(mu_);
      if (queue_.empty()) return n;
      job = std::move(queue_.front());
      queue_.pop_front();
    }
    Run(job);
    ++n;
  }
}

void RotationRunner::Loop() {
  while (true) {
    Job job;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [&] { return stop_ || !queue_.empty(); });
      if (stop_) return;
      job = std::move(queue_.front());
      queue_.pop_front();
    }
    Run(job);
  }
}

void RotationRunner::Run(const Job& job) {
  Status outcome = Rotate(job);
  if (!outcome.ok()) spdlog::warn("rotation of {} failed: {}", job.arn, outcome.message());
  Status recorded = service_.RecordRotationResult(job.account, job.region, job.arn, job.token, outcome);
  if (!recorded.ok()) spdlog::error("recording the rotation of {}: {}", job.arn, recorded.message());
}

Status RotationRunner::Rotate(const Job& job) {
  const Caller self = SecretsService::ServiceCaller(job.account, job.region);
  ASSIGN_OR_RETURN(Json described, service_.Run(self, "DescribeSecret", Json{{"SecretId", job.arn}}));
  const std::string lambda = described.value("RotationLambdaARN", "");
  Rotator* rotator = Find(lambda);
  if (rotator == nullptr) return InvalidRequest("No rotator is configured for " + lambda + ".");
  for (std::string_view step : kSteps) {
    RotationEvent event{job.arn, job.token, std::string(step), job.account, job.region};
    Status st = rotator->Step(event);
    if (!st.ok()) return Status(st.code(), "Rotation step " + std::string(step) + " failed: " + st.message());
    if (step == "createSecret" || step == "finishSecret") {
      ASSIGN_OR_RETURN(described, service_.Run(self, "DescribeSecret", Json{{"SecretId", job.arn}}));
      const std::string_view want = step == "createSecret" ? kPending : kCurrent;
      if (!VersionHas(described, job.token, want)) {
        return InvalidRequest("Rotation step " + std::string(step) + " did not leave " + std::string(want) +
                              " on version " + job.token + ".");
      }
    }
  }
  return Status::Ok();
}

}  // namespace coffer::secrets

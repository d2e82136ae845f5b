// Drives rotations: one worker thread takes scheduled rotations in order and
// runs the four steps through the secret's rotator, with AWS's checks between
// them (after createSecret the new version must carry AWSPENDING; after
// finishSecret it must carry AWSCURRENT). The outcome is recorded on the
// secret (a failure leaves AWSCURRENT where it was; the sweeper retries).
#pragma once

#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "secrets/rotation/rotator.h"
#include "secrets/service.h"

namespace coffer::secrets {

class RotationRunner final : public RotationScheduler {
 public:
  // `threaded` false: Schedule() only queues and RunQueued() runs (tests).
  RotationRunner(SecretsService& service, const std::vector<RotatorConfig>& configs, bool threaded = true);
  ~RotationRunner() override;
  RotationRunner(const RotationRunner&) = delete;
  RotationRunner& operator=(const RotationRunner&) = delete;

  bool Knows(std::string_view lambda_arn) const override;
  void Schedule(std::string account, std::string region, std::string secret_arn, std::string token) override;
  // Runs every queued rotation on the calling thread; returns how many ran.
  int RunQueued();
  // Adds a rotator under `name` (tests supply their own).
  void Add(const std::string& name, std::unique_ptr<Rotator> rotator);

 private:
  struct Job {
    std::string account, region, arn, token;
  };
  Rotator* Find(std::string_view lambda_arn) const;
  void Run(const Job& job);
  Status Rotate(const Job& job);
  void Loop();

  SecretsService& service_;
  std::map<std::string, std::pair<std::string, std::unique_ptr<Rotator>>>
      rotators_;  // name -> (account, rotator)
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Job> queue_;
  bool stop_ = false;
  std::thread worker_;
};

}  // namespace coffer::secrets

#include "metrics/instrumented_store.h"

#include <chrono>

namespace coffer::metrics {
namespace {

class TimedTxn final : public store::Txn {
 public:
  TimedTxn(std::unique_ptr<store::Txn> inner, HistogramFamily& commits)
      : inner_(std::move(inner)), commits_(commits) {}
  StatusOr<std::optional<std::string>> Get(std::string_view table, std::string_view key) override {
    return inner_->Get(table, key);
  }
  Status Put(std::string_view table, std::string_view key, std::string_view value) override {
    return inner_->Put(table, key, value);
  }
  Status Delete(std::string_view table, std::string_view key) override { return inner_->Delete(table, key); }
  StatusOr<std::vector<store::Entry>> Scan(std::string_view table, std::string_view prefix,
                                           std::string_view start_after, std::size_t limit) override {
    return inner_->Scan(table, prefix, start_after, limit);
  }
  Status Commit() override {
    const auto started = std::chrono::steady_clock::now();
    Status st = inner_->Commit();
    commits_.Observe({{"result", st.ok() ? "ok" : "error"}},
                     std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
    return st;
  }

 private:
  std::unique_ptr<store::Txn> inner_;
  HistogramFamily& commits_;
};

class TimedStore final : public store::Store {
 public:
  TimedStore(store::Store& inner, HistogramFamily& commits) : inner_(inner), commits_(commits) {}
  StatusOr<std::unique_ptr<store::Txn>> BeginRead() override { return inner_.BeginRead(); }
  StatusOr<std::unique_ptr<store::Txn>> BeginWrite() override {
    ASSIGN_OR_RETURN(auto txn, inner_.BeginWrite());
    return std::unique_ptr<store::Txn>(std::make_unique<TimedTxn>(std::move(txn), commits_));
  }
  int SchemaVersion() const override { return inner_.SchemaVersion(); }
  Status Ping() override { return inner_.Ping(); }

 private:
  store::Store& inner_;
  HistogramFamily& commits_;
};

}  // namespace

std::unique_ptr<store::Store> InstrumentStore(store::Store& inner, HistogramFamily& commits) {
  return std::make_unique<TimedStore>(inner, commits);
}

}  // namespace coffer::metrics

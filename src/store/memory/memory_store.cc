// In-memory Store for unit tests of other modules. Committed state is an
// immutable snapshot behind a shared_ptr: a read transaction keeps the
// snapshot current at BeginRead; a write transaction holds the writer mutex,
// edits a private copy and publishes it on Commit.
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "store/store.h"
#include "store/txn_use.h"

namespace coffer::store {
namespace {

// std::string orders by char_traits<char>::lt, which compares as unsigned
// char: the same bytewise order as the SQLite store.
using Table = std::map<std::string, std::string, std::less<>>;
using Tables = std::map<std::string, Table, std::less<>>;
using Snapshot = std::shared_ptr<const Tables>;

class MemoryStore;

class MemoryTxn final : public Txn {
 public:
  // A read transaction over a fixed snapshot.
  explicit MemoryTxn(Snapshot snapshot) : view_(std::move(snapshot)), use_(/*writable=*/false) {}
  // A write transaction: holds the writer lock for its lifetime.
  MemoryTxn(Snapshot snapshot, std::unique_lock<std::mutex> write_lock, MemoryStore* store)
      : view_(std::move(snapshot)),
        write_lock_(std::move(write_lock)),
        store_(store),
        use_(/*writable=*/true) {}

  StatusOr<std::optional<std::string>> Get(std::string_view table, std::string_view key) override {
    RETURN_IF_ERROR(use_.CheckActive());
    const Table* t = FindTable(table);
    if (t == nullptr) {
      return std::optional<std::string>();
    }
    auto it = t->find(key);
    if (it == t->end()) {
      return std::optional<std::string>();
    }
    return std::optional<std::string>(it->second);
  }

  Status Put(std::string_view table, std::string_view key, std::string_view value) override {
    RETURN_IF_ERROR(use_.CheckWritable());
    Table& t = Writable()[std::string(table)];
    t.insert_or_assign(std::string(key), std::string(value));
    return Status::Ok();
  }

  Status Delete(std::string_view table, std::string_view key) override {
    RETURN_IF_ERROR(use_.CheckWritable());
    Tables& tables = Writable();
    auto t = tables.find(table);
    if (t == tables.end()) {
      return Status::Ok();
    }
    auto it = t->second.find(key);
    if (it != t->second.end()) {
      t->second.erase(it);
    }
    return Status::Ok();
  }

  StatusOr<std::vector<Entry>> Scan(std::string_view table, std::string_view prefix,
                                    std::string_view start_after, std::size_t limit) override {
    RETURN_IF_ERROR(use_.CheckActive());
    std::vector<Entry> entries;
    const Table* t = FindTable(table);
    if (t == nullptr) {
      return entries;
    }
    const bool from_prefix = start_after.empty() || start_after < prefix;
    auto it = from_prefix ? t->lower_bound(prefix) : t->upper_bound(start_after);
    for (; it != t->end() && entries.size() < limit; ++it) {
      if (!it->first.starts_with(prefix)) {
        break;
      }
      entries.push_back(Entry{it->first, it->second});
    }
    return entries;
  }

  Status Commit() override;

 private:
  const Table* FindTable(std::string_view table) const {
    const Tables& tables = working_ ? *working_ : *view_;
    auto it = tables.find(table);
    return it == tables.end() ? nullptr : &it->second;
  }
  // Copies the snapshot on the first write (copy-on-write).
  Tables& Writable() {
    if (!working_) {
      working_ = std::make_unique<Tables>(*view_);
    }
    return *working_;
  }

  Snapshot view_;
  std::unique_ptr<Tables> working_;  // this write transaction's edits, if any
  std::unique_lock<std::mutex> write_lock_;
  MemoryStore* store_ = nullptr;  // set only on write transactions
  TxnUse use_;
};

class MemoryStore final : public Store {
 public:
  StatusOr<std::unique_ptr<Txn>> BeginRead() override {
    return std::unique_ptr<Txn>(new MemoryTxn(Current()));
  }

  StatusOr<std::unique_ptr<Txn>> BeginWrite() override {
    std::unique_lock<std::mutex> lock(write_mutex_);
    // Taken after the writer lock, so no other commit can land underneath.
    Snapshot base = Current();
    return std::unique_ptr<Txn>(new MemoryTxn(std::move(base), std::move(lock), this));
  }

  int SchemaVersion() const override { return 1; }
  Status Ping() override { return Status::Ok(); }

  void Publish(Snapshot snapshot) {
    std::lock_guard<std::mutex> lock(snapshot_mutex_);
    committed_ = std::move(snapshot);
  }

 private:
  Snapshot Current() {
    std::lock_guard<std::mutex> lock(snapshot_mutex_);
    return committed_;
  }

  std::mutex write_mutex_;     // serialises write transactions
  std::mutex snapshot_mutex_;  // guards committed_ (the pointer, not the tables)
  Snapshot committed_ = std::make_shared<const Tables>();
};

Status MemoryTxn::Commit() {
  RETURN_IF_ERROR(use_.CheckActive());
  if (store_ != nullptr && working_) {
    store_->Publish(std::move(working_));
  }
  use_.Finish();
  if (write_lock_.owns_lock()) {
    write_lock_.unlock();
  }
  view_.reset();
  return Status::Ok();
}

}  // namespace

std::unique_ptr<Store> NewMemoryStore() { return std::make_unique<MemoryStore>(); }

}  // namespace coffer::store

// The usage checks every Txn implementation makes before touching data, so
// all stores refuse misuse with the same errors.
#pragma once

#include "common/status.h"

namespace coffer::store {

class TxnUse {
 public:
  explicit TxnUse(bool writable) : writable_(writable) {}

  // kInternal once the transaction has committed.
  Status CheckActive() const {
    if (finished_) {
      return InternalError("store transaction already committed");
    }
    return Status::Ok();
  }
  // kInternal on a read transaction, or once committed.
  Status CheckWritable() const {
    if (!writable_) {
      return InternalError("store write attempted in a read transaction");
    }
    return CheckActive();
  }
  void Finish() { finished_ = true; }

 private:
  bool writable_;
  bool finished_ = false;
};

}  // namespace coffer::store

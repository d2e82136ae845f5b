#include "pkcs11/session_pool.h"

#include <utility>

namespace coffer::pkcs11 {

Lease::Lease(Lease&& other) noexcept
    : pool_(std::exchange(other.pool_, nullptr)),
      session_(other.session_),
      object_(other.object_),
      epoch_(other.epoch_),
      broken_(other.broken_) {}

Lease::~Lease() {
  if (pool_ != nullptr) pool_->Release(*this);
}

CK_FUNCTION_LIST& Lease::fn() const { return *pool_->options_.library->fn(); }

Status Lease::Fail(std::string_view call, CK_RV rv) {
  broken_ = true;
  // A module that lost its initialisation (an HSM client whose connection
  // dropped) is brought back before the next session is opened.
  if (rv == CKR_CRYPTOKI_NOT_INITIALIZED) (void)pool_->options_.library->Reinitialize(epoch_);
  return RvError(call, rv);
}

StatusOr<std::unique_ptr<SessionPool>> SessionPool::Create(Options options) {
  if (options.size == 0) options.size = 1;
  std::unique_ptr<SessionPool> pool(new SessionPool(std::move(options)));
  ASSIGN_OR_RETURN(Lease first, pool->Acquire());
  (void)first;
  return pool;
}

SessionPool::~SessionPool() {
  // Every Lease is gone by now (they point into this pool).
  for (const Idle& idle : idle_) Close(idle.session, idle.epoch);
}

std::size_t SessionPool::open_sessions() const {
  std::lock_guard lock(mu_);
  return open_;
}

StatusOr<Lease> SessionPool::Acquire() {
  std::unique_lock lock(mu_);
  for (;;) {
    available_.wait(lock, [this] { return !idle_.empty() || open_ < options_.size; });
    if (idle_.empty()) break;
    const Idle idle = idle_.back();
    idle_.pop_back();
    if (idle.epoch == options_.library->epoch()) return Lease(this, idle.session, idle.object, idle.epoch);
    --open_;  // opened before the module was re-initialised: its handle is dead
  }
  ++open_;
  lock.unlock();
  auto lease = OpenSession();
  if (!lease.ok()) {
    lock.lock();
    --open_;
    available_.notify_one();
  }
  return lease;
}

// A token that was away may be found only by a fresh C_Initialize, so when
// the slot or a session cannot be had the module is initialised again and the
// open tried once more. A refused login is not retried: each wrong PIN
// brings the token closer to locking it.
StatusOr<Lease> SessionPool::OpenSession() {
  std::uint64_t epoch = options_.library->epoch();
  auto session = OpenRawSession();
  if (!session.ok()) {
    RETURN_IF_ERROR(options_.library->Reinitialize(epoch));
    epoch = options_.library->epoch();
    ASSIGN_OR_RETURN(session, OpenRawSession());
  }
  CK_FUNCTION_LIST& fn = *options_.library->fn();
  // The pin buffer is not modified by C_Login; the API just lacks const.
  CK_RV rv =
      fn.C_Login(*session, CKU_USER, const_cast<std::uint8_t*>(options_.pin.data()), options_.pin.size());
  if (rv != CKR_OK && rv != CKR_USER_ALREADY_LOGGED_IN) {
    fn.C_CloseSession(*session);
    return RvError("C_Login", rv);
  }
  auto object = options_.find_object(fn, *session);
  if (!object.ok()) {
    fn.C_CloseSession(*session);
    return object.status();
  }
  return Lease(this, *session, *object, epoch);
}

StatusOr<CK_SESSION_HANDLE> SessionPool::OpenRawSession() {
  ASSIGN_OR_RETURN(CK_SLOT_ID slot, options_.library->FindTokenSlot(options_.token_label));
  CK_SESSION_HANDLE session = CK_INVALID_HANDLE;
  const CK_RV rv = options_.library->fn()->C_OpenSession(slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, nullptr,
                                                         nullptr, &session);
  if (rv != CKR_OK) return RvError("C_OpenSession", rv);
  return session;
}

void SessionPool::Release(const Lease& lease) {
  if (lease.broken_) {
    Close(lease.session_, lease.epoch_);
    std::lock_guard lock(mu_);
    --open_;
  } else {
    std::lock_guard lock(mu_);
    idle_.push_back(Idle{lease.session_, lease.object_, lease.epoch_});
  }
  available_.notify_one();
}

void SessionPool::Close(CK_SESSION_HANDLE session, std::uint64_t epoch) {
  // After a re-initialisation the handle belongs to no one; closing it could
  // close someone else's new session with the same number.
  if (epoch == options_.library->epoch()) options_.library->fn()->C_CloseSession(session);
}

}  // namespace coffer::pkcs11

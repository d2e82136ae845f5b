// Logged-in sessions on one token, shared by the threads that serve requests.
// PKCS#11 lets different threads use different sessions at once, never one
// session from two threads: a Lease is one thread's exclusive use of one
// session. A session that reported a token error is closed instead of being
// returned, and the next Acquire opens (and logs in) a fresh one, so the pool
// recovers by itself when the token comes back.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "common/secret_bytes.h"
#include "common/status_or.h"
#include "pkcs11/library.h"

namespace coffer::pkcs11 {

class SessionPool;

// The object a pool's sessions work on (a key), found again on every fresh
// session because handles do not survive a re-initialisation of the module.
using FindObject = std::function<StatusOr<CK_OBJECT_HANDLE>(CK_FUNCTION_LIST& fn, CK_SESSION_HANDLE session)>;

class Lease {
 public:
  Lease(Lease&& other) noexcept;
  Lease& operator=(Lease&&) = delete;
  Lease(const Lease&) = delete;
  Lease& operator=(const Lease&) = delete;
  ~Lease();  // back to the pool, or closed when Fail was called

  CK_FUNCTION_LIST& fn() const;
  CK_SESSION_HANDLE session() const { return session_; }
  CK_OBJECT_HANDLE object() const { return object_; }

  // The token failed this call: the session is not reused. Returns the
  // kInternal error naming `call` and `rv`, for the caller to pass on.
  Status Fail(std::string_view call, CK_RV rv);

 private:
  friend class SessionPool;
  Lease(SessionPool* pool, CK_SESSION_HANDLE session, CK_OBJECT_HANDLE object, std::uint64_t epoch)
      : pool_(pool), session_(session), object_(object), epoch_(epoch) {}

  SessionPool* pool_;
  CK_SESSION_HANDLE session_;
  CK_OBJECT_HANDLE object_;
  std::uint64_t epoch_;
  bool broken_ = false;
};

class SessionPool {
 public:
  struct Options {
    std::shared_ptr<Library> library;
    std::string token_label;
    SecretBytes pin;   // the user PIN, kept to log in again after a token outage
    std::size_t size;  // most sessions open at once; Acquire waits beyond that
    FindObject find_object;
  };

  // Opens one session at once, so a wrong label or PIN fails here, at start-up.
  static StatusOr<std::unique_ptr<SessionPool>> Create(Options options);
  ~SessionPool();

  // A session of this pool, waiting while all `size` are in use.
  StatusOr<Lease> Acquire();

  // Sessions currently open (idle or leased), for tests and metrics.
  std::size_t open_sessions() const;

 private:
  friend class Lease;
  struct Idle {
    CK_SESSION_HANDLE session;
    CK_OBJECT_HANDLE object;
    std::uint64_t epoch;
  };

  explicit SessionPool(Options options) : options_(std::move(options)) {}
  StatusOr<Lease> OpenSession();
  StatusOr<CK_SESSION_HANDLE> OpenRawSession();
  void Release(const Lease& lease);
  void Close(CK_SESSION_HANDLE session, std::uint64_t epoch);

  Options options_;
  mutable std::mutex mu_;
  std::condition_variable available_;
  std::vector<Idle> idle_;
  std::size_t open_ = 0;
};

}  // namespace coffer::pkcs11

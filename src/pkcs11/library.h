// A PKCS#11 module loaded with dlopen: its function list, one process-wide
// initialisation, and the slot of a token found by label. The module is never
// linked, so any vendor's library (SoftHSM2, a network HSM's client) plugs in
// by path.
#pragma once

#include <p11-kit/pkcs11.h>

#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "common/status_or.h"

namespace coffer::pkcs11 {

// "CKR_PIN_INCORRECT" and the like; "CKR_0x..." for codes without a name here.
std::string RvName(CK_RV rv);

// kInternal naming the call and the return value; never any argument.
Status RvError(std::string_view call, CK_RV rv);

class Library {
 public:
  // One Library per module path per process: PKCS#11 initialisation is
  // process-wide, so every user of a module shares the same object.
  static StatusOr<std::shared_ptr<Library>> Open(const std::filesystem::path& module);

  ~Library();  // C_Finalize and dlclose
  Library(const Library&) = delete;
  Library& operator=(const Library&) = delete;

  CK_FUNCTION_LIST* fn() const { return fn_; }
  const std::filesystem::path& path() const { return path_; }

  // The slot whose token carries `label` (compared without the padding). At
  // most one token may carry it.
  StatusOr<CK_SLOT_ID> FindTokenSlot(std::string_view label) const;

  // After the module reported CKR_CRYPTOKI_NOT_INITIALIZED (an HSM client that
  // lost its connection, a C_Finalize elsewhere): initialises it again.
  // `seen_epoch` is the epoch the caller's failing session belonged to; a
  // concurrent caller that already re-initialised is not repeated.
  Status Reinitialize(std::uint64_t seen_epoch);
  std::uint64_t epoch() const;

 private:
  Library(std::filesystem::path path, void* handle, CK_FUNCTION_LIST* fn);
  Status InitializeLocked();

  const std::filesystem::path path_;
  void* const handle_;
  CK_FUNCTION_LIST* const fn_;
  mutable std::mutex mu_;
  std::uint64_t epoch_ = 0;  // bumped by every successful (re)initialisation
};

}  // namespace coffer::pkcs11

#include "pkcs11/library.h"

#include <dlfcn.h>

#include <array>
#include <cstdio>
#include <map>
#include <utility>
#include <vector>

namespace coffer::pkcs11 {
namespace {

struct RvEntry {
  CK_RV rv;
  const char* name;
};

constexpr std::array kRvNames = {
    RvEntry{CKR_OK, "CKR_OK"},
    RvEntry{CKR_GENERAL_ERROR, "CKR_GENERAL_ERROR"},
    RvEntry{CKR_ARGUMENTS_BAD, "CKR_ARGUMENTS_BAD"},
    RvEntry{CKR_ATTRIBUTE_SENSITIVE, "CKR_ATTRIBUTE_SENSITIVE"},
    RvEntry{CKR_ATTRIBUTE_TYPE_INVALID, "CKR_ATTRIBUTE_TYPE_INVALID"},
    RvEntry{CKR_ATTRIBUTE_VALUE_INVALID, "CKR_ATTRIBUTE_VALUE_INVALID"},
    RvEntry{CKR_DEVICE_ERROR, "CKR_DEVICE_ERROR"},
    RvEntry{CKR_DEVICE_MEMORY, "CKR_DEVICE_MEMORY"},
    RvEntry{CKR_DEVICE_REMOVED, "CKR_DEVICE_REMOVED"},
    RvEntry{CKR_ENCRYPTED_DATA_INVALID, "CKR_ENCRYPTED_DATA_INVALID"},
    RvEntry{CKR_ENCRYPTED_DATA_LEN_RANGE, "CKR_ENCRYPTED_DATA_LEN_RANGE"},
    RvEntry{CKR_FUNCTION_FAILED, "CKR_FUNCTION_FAILED"},
    RvEntry{CKR_KEY_HANDLE_INVALID, "CKR_KEY_HANDLE_INVALID"},
    RvEntry{CKR_MECHANISM_INVALID, "CKR_MECHANISM_INVALID"},
    RvEntry{CKR_MECHANISM_PARAM_INVALID, "CKR_MECHANISM_PARAM_INVALID"},
    RvEntry{CKR_OBJECT_HANDLE_INVALID, "CKR_OBJECT_HANDLE_INVALID"},
    RvEntry{CKR_OPERATION_ACTIVE, "CKR_OPERATION_ACTIVE"},
    RvEntry{CKR_PIN_INCORRECT, "CKR_PIN_INCORRECT"},
    RvEntry{CKR_PIN_LOCKED, "CKR_PIN_LOCKED"},
    RvEntry{CKR_SESSION_CLOSED, "CKR_SESSION_CLOSED"},
    RvEntry{CKR_SESSION_COUNT, "CKR_SESSION_COUNT"},
    RvEntry{CKR_SESSION_HANDLE_INVALID, "CKR_SESSION_HANDLE_INVALID"},
    RvEntry{CKR_SLOT_ID_INVALID, "CKR_SLOT_ID_INVALID"},
    RvEntry{CKR_TEMPLATE_INCOMPLETE, "CKR_TEMPLATE_INCOMPLETE"},
    RvEntry{CKR_TEMPLATE_INCONSISTENT, "CKR_TEMPLATE_INCONSISTENT"},
    RvEntry{CKR_TOKEN_NOT_PRESENT, "CKR_TOKEN_NOT_PRESENT"},
    RvEntry{CKR_TOKEN_NOT_RECOGNIZED, "CKR_TOKEN_NOT_RECOGNIZED"},
    RvEntry{CKR_USER_ALREADY_LOGGED_IN, "CKR_USER_ALREADY_LOGGED_IN"},
    RvEntry{CKR_USER_NOT_LOGGED_IN, "CKR_USER_NOT_LOGGED_IN"},
    RvEntry{CKR_USER_PIN_NOT_INITIALIZED, "CKR_USER_PIN_NOT_INITIALIZED"},
    RvEntry{CKR_BUFFER_TOO_SMALL, "CKR_BUFFER_TOO_SMALL"},
    RvEntry{CKR_CRYPTOKI_NOT_INITIALIZED, "CKR_CRYPTOKI_NOT_INITIALIZED"},
    RvEntry{CKR_CRYPTOKI_ALREADY_INITIALIZED, "CKR_CRYPTOKI_ALREADY_INITIALIZED"},
};

// A token label is 32 bytes padded with spaces (PKCS#11 2.40, CK_TOKEN_INFO).
std::string_view TrimLabel(const unsigned char (&label)[32]) {
  std::string_view text(reinterpret_cast<const char*>(label), sizeof(label));
  while (!text.empty() && (text.back() == ' ' || text.back() == '\0')) text.remove_suffix(1);
  return text;
}

std::mutex& RegistryMutex() {
  static std::mutex mu;
  return mu;
}

std::map<std::string, std::weak_ptr<Library>>& Registry() {
  static std::map<std::string, std::weak_ptr<Library>> libraries;
  return libraries;
}

}  // namespace

std::string RvName(CK_RV rv) {
  for (const RvEntry& entry : kRvNames) {
    if (entry.rv == rv) return entry.name;
  }
  std::array<char, 32> hex{};
  std::snprintf(hex.data(), hex.size(), "CKR_0x%08lx", static_cast<unsigned long>(rv));
  return hex.data();
}

Status RvError(std::string_view call, CK_RV rv) {
  return InternalError("PKCS#11 " + std::string(call) + " failed: " + RvName(rv));
}

Library::Library(std::filesystem::path path, void* handle, CK_FUNCTION_LIST* fn)
    : path_(std::move(path)), handle_(handle), fn_(fn) {}

Library::~Library() {
  fn_->C_Finalize(nullptr);
  ::dlclose(handle_);
}

StatusOr<std::shared_ptr<Library>> Library::Open(const std::filesystem::path& module) {
  std::lock_guard lock(RegistryMutex());
  const std::string key = std::filesystem::absolute(module).lexically_normal().string();
  if (auto existing = Registry()[key].lock()) return existing;
  void* handle = ::dlopen(key.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) return InternalError("cannot load PKCS#11 module " + key + ": " + ::dlerror());
  auto get_list = reinterpret_cast<CK_C_GetFunctionList>(::dlsym(handle, "C_GetFunctionList"));
  CK_FUNCTION_LIST* fn = nullptr;
  if (get_list == nullptr || get_list(&fn) != CKR_OK || fn == nullptr) {
    ::dlclose(handle);
    return InternalError("PKCS#11 module " + key + " has no usable C_GetFunctionList");
  }
  std::shared_ptr<Library> library(new Library(key, handle, fn));
  {
    std::lock_guard init_lock(library->mu_);
    RETURN_IF_ERROR(library->InitializeLocked());
  }
  Registry()[key] = library;
  return library;
}

Status Library::InitializeLocked() {
  CK_C_INITIALIZE_ARGS args{};
  args.flags = CKF_OS_LOCKING_OK;
  const CK_RV rv = fn_->C_Initialize(&args);
  if (rv != CKR_OK && rv != CKR_CRYPTOKI_ALREADY_INITIALIZED) return RvError("C_Initialize", rv);
  ++epoch_;
  return Status::Ok();
}

Status Library::Reinitialize(std::uint64_t seen_epoch) {
  std::lock_guard lock(mu_);
  if (epoch_ != seen_epoch) return Status::Ok();
  fn_->C_Finalize(nullptr);  // whatever state the module kept is gone already
  return InitializeLocked();
}

std::uint64_t Library::epoch() const {
  std::lock_guard lock(mu_);
  return epoch_;
}

StatusOr<CK_SLOT_ID> Library::FindTokenSlot(std::string_view label) const {
  CK_ULONG count = 0;
  CK_RV rv = fn_->C_GetSlotList(CK_TRUE, nullptr, &count);
  if (rv != CKR_OK) return RvError("C_GetSlotList", rv);
  std::vector<CK_SLOT_ID> slots(count);
  rv = fn_->C_GetSlotList(CK_TRUE, slots.data(), &count);
  if (rv != CKR_OK) return RvError("C_GetSlotList", rv);
  slots.resize(count);
  std::vector<CK_SLOT_ID> matches;
  for (CK_SLOT_ID slot : slots) {
    CK_TOKEN_INFO info{};
    if (fn_->C_GetTokenInfo(slot, &info) != CKR_OK) continue;
    if (TrimLabel(info.label) == label) matches.push_back(slot);
  }
  if (matches.empty()) {
    return InternalError("no PKCS#11 token labelled '" + std::string(label) + "' in " + path_.string());
  }
  if (matches.size() > 1) {
    return InternalError("more than one PKCS#11 token labelled '" + std::string(label) + "'");
  }
  return matches.front();
}

}  // namespace coffer::pkcs11

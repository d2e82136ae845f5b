// Objects a thread reuses from request to request, so that a warm request
// path assigns into strings and buffers that already have their capacity
// instead of allocating them anew (docs/performance.md, "Fourth pass").
#pragma once

#include <array>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

namespace coffer {

// The calling thread's T for `Tag` while this object lives; a nested use of
// the same T and Tag on the same thread gets a T of its own (default
// constructed), so no two users ever share one. The shared T keeps what the
// previous user left in it: a user resets or assigns everything it reads.
// Each call site names its own Tag (an incomplete struct will do), so that
// sites that run nested do not fall back to fresh objects.
template <typename T, typename Tag>
class Reused {
 public:
  Reused() {
    static thread_local T shared;
    static thread_local bool shared_in_use = false;
    if (!shared_in_use) {
      shared_in_use = true;
      in_use_ = &shared_in_use;
      value_ = &shared;
    } else {
      own_ = std::make_unique<T>();
      value_ = own_.get();
    }
  }
  ~Reused() {
    if (in_use_ != nullptr) *in_use_ = false;
  }
  Reused(const Reused&) = delete;
  Reused& operator=(const Reused&) = delete;
  T& operator*() const { return *value_; }
  T* operator->() const { return value_; }

 private:
  T* value_ = nullptr;
  std::unique_ptr<T> own_;
  bool* in_use_ = nullptr;
};

// Resets `value` to a default T but gives the listed strings back cleared,
// with their capacity. A field not listed is reset all the same (it only
// loses its capacity), so nothing of the previous use survives.
template <typename T, std::size_t N>
void ResetKeepingCapacity(T& value, const std::array<std::string*, N>& strings) {
  std::array<std::string, N> saved;
  for (std::size_t i = 0; i < N; ++i) saved[i] = std::move(*strings[i]);
  value = T{};
  for (std::size_t i = 0; i < N; ++i) {
    *strings[i] = std::move(saved[i]);
    strings[i]->clear();
  }
}

// Hashes std::string keys and looks them up by std::string_view without
// building a string: StringMap<V>::find(view).
struct StringHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view text) const { return std::hash<std::string_view>{}(text); }
};
template <typename V>
using StringMap = std::unordered_map<std::string, V, StringHash, std::equal_to<>>;

}  // namespace coffer

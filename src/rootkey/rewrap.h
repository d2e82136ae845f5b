// Moving stored material from one root key to another (`coffer admin
// migrate-root-key`): each wrapped blob is unwrapped by the old key and
// wrapped by the new one under the same aad. Blobs already in the new key's
// format are left alone, so an interrupted migration simply runs again.
#pragma once

#include <cstddef>
#include <optional>
#include <string_view>

#include "common/bytes.h"
#include "common/status_or.h"
#include "rootkey/root_key.h"

namespace coffer::rootkey {

class Rewrapper {
 public:
  // `from` and `to` must write different formats (kValidation otherwise, from
  // Check): the format byte is what tells moved blobs from unmoved ones.
  Rewrapper(const RootKey& from, const RootKey& to) : from_(from), to_(to) {}
  Status Check() const;

  // The blob wrapped under `to`, or nullopt when it already is (after
  // checking that `to` unwraps it). The new blob is unwrapped once before it
  // is returned, so a caller never replaces a good blob with a bad one.
  StatusOr<std::optional<Bytes>> Rewrap(ByteView wrapped, std::string_view aad);

  std::size_t moved() const { return moved_; }
  std::size_t already_moved() const { return already_moved_; }

 private:
  const RootKey& from_;
  const RootKey& to_;
  std::size_t moved_ = 0;
  std::size_t already_moved_ = 0;
};

}  // namespace coffer::rootkey

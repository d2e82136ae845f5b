#include "rootkey/rewrap.h"

namespace coffer::rootkey {

Status Rewrapper::Check() const {
  if (from_.wrap_format() == to_.wrap_format()) {
    return ValidationError(
        "the old and the new root key are of the same kind; nothing would tell moved from unmoved");
  }
  return Status::Ok();
}

StatusOr<std::optional<Bytes>> Rewrapper::Rewrap(ByteView wrapped, std::string_view aad) {
  if (!wrapped.empty() && wrapped[0] == to_.wrap_format()) {
    RETURN_IF_ERROR(to_.Unwrap(wrapped, aad).status());
    ++already_moved_;
    return std::optional<Bytes>();
  }
  ASSIGN_OR_RETURN(SecretBytes plain, from_.Unwrap(wrapped, aad));
  ASSIGN_OR_RETURN(Bytes rewrapped, to_.Wrap(plain.view(), aad));
  RETURN_IF_ERROR(to_.Unwrap(rewrapped, aad).status());
  ++moved_;
  return std::optional<Bytes>(std::move(rewrapped));
}

}  // namespace coffer::rootkey

// A blob's data key, wrapped into and unwrapped from its header: under the
// root key (v1, v2) or under a keyring version (v3).
#include <string>

#include "blobs/file_blob.h"

namespace coffer::blobs::internal {

Status AuthFailure(std::string_view id, std::string_view why) {
  return InternalError("blob " + std::string(id) + " failed authentication: " + std::string(why));
}

Status WrapDataKey(std::string_view id, const KeyWrapping& wrapping, const SecretBytes& data_key,
                   Header* header) {
  if (wrapping.keyring == nullptr) {
    header->version = kVersion2;
    ASSIGN_OR_RETURN(header->wrapped_key, wrapping.root.Wrap(data_key.view(), DataKeyAad(id, *header)));
    return Status::Ok();
  }
  header->version = kVersion3;
  ASSIGN_OR_RETURN(header->key_version, wrapping.keyring->CurrentVersion());
  ASSIGN_OR_RETURN(header->wrapped_key,
                   wrapping.keyring->Wrap(header->key_version, data_key.view(), DataKeyAad(id, *header)));
  return Status::Ok();
}

StatusOr<SecretBytes> UnwrapDataKey(std::string_view id, const KeyWrapping& wrapping, const Header& header) {
  if (header.version != kVersion3) {
    auto data_key = wrapping.root.Unwrap(header.wrapped_key, DataKeyAad(id, header));
    if (!data_key.ok())
      return AuthFailure(id, "data key does not unwrap (another root key or another blob's file)");
    return data_key;
  }
  if (wrapping.keyring == nullptr)
    return AuthFailure(id, "a version 3 blob and no service keyring to open it");
  const std::string key_version = std::to_string(header.key_version);
  auto data_key = wrapping.keyring->Unwrap(header.key_version, header.wrapped_key, DataKeyAad(id, header));
  if (data_key.ok()) return data_key;
  if (data_key.status().code() == ErrorCode::kNotFound)
    return AuthFailure(id, "service key version " + key_version + " does not exist");
  if (data_key.status().code() == ErrorCode::kInternal)
    return AuthFailure(id, "data key does not unwrap under service key version " + key_version);
  return data_key.status();
}

}  // namespace coffer::blobs::internal

// Argon2id through the reference implementation (libargon2).
#include <argon2.h>

#include <string>

#include "crypto/crypto.h"

namespace coffer::crypto {

StatusOr<SecretBytes> Argon2id(std::string_view passphrase, ByteView salt, const Argon2Params& params,
                               std::size_t out_len) {
  SecretBytes out(out_len);
  // libargon2 validates every bound itself (salt >= 8 bytes, output >= 4
  // bytes, memory >= 8 KiB per lane, ...) and names the one that failed.
  const int rc = argon2id_hash_raw(params.t_cost, params.m_cost_kib, params.parallelism, passphrase.data(),
                                   passphrase.size(), salt.data(), salt.size(), out.data(), out.size());
  if (rc != ARGON2_OK) {
    return InternalError(std::string("Argon2id: ") + argon2_error_message(rc));  // `out` wipes itself
  }
  return out;
}

}  // namespace coffer::crypto

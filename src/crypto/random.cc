#include <openssl/rand.h>

#include <algorithm>

#include "crypto/crypto.h"
#include "crypto/openssl_util.h"

namespace coffer::crypto {
namespace {

// RAND_bytes takes an int length; larger requests are served in slices.
constexpr std::size_t kMaxRandLen = std::size_t{1} << 30;

}  // namespace

Status OsRandom::Fill(std::span<std::uint8_t> out) {
  for (std::size_t done = 0; done < out.size();) {
    const std::size_t n = std::min(kMaxRandLen, out.size() - done);
    if (RAND_bytes(out.data() + done, static_cast<int>(n)) != 1) {
      SecureWipe(out.data(), out.size());
      return internal::OpenSslError("RAND_bytes");
    }
    done += n;
  }
  return Status::Ok();
}

StatusOr<SecretBytes> RandomSecret(RandomSource& random, std::size_t len) {
  SecretBytes secret(len);
  RETURN_IF_ERROR(random.Fill(secret.mutable_view()));  // `secret` wipes itself on the way out
  return secret;
}

}  // namespace coffer::crypto

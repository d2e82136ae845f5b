#include "crypto/openssl_util.h"

#include <openssl/err.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace coffer::crypto::internal {

void Fatal(std::string_view what) {
  std::fprintf(stderr, "coffer: fatal OpenSSL failure: %.*s\n", static_cast<int>(what.size()), what.data());
  std::abort();
}

Status OpenSslError(std::string_view what) {
  std::string message(what);
  const unsigned long err = ERR_peek_last_error();
  if (err != 0) {
    std::array<char, 256> reason{};
    ERR_error_string_n(err, reason.data(), reason.size());
    message += ": ";
    message += reason.data();
  } else {
    message += " failed";
  }
  ERR_clear_error();
  return InternalError(std::move(message));
}

void ClearOpenSslErrors() { ERR_clear_error(); }

const std::uint8_t* NonNullData(ByteView bytes) {
  static constexpr std::uint8_t kEmpty = 0;
  return bytes.empty() ? &kEmpty : bytes.data();
}

const EVP_MD* Sha256Md() {
  static const EVP_MD* const md = [] {
    EVP_MD* fetched = EVP_MD_fetch(nullptr, "SHA256", nullptr);
    if (fetched == nullptr) {
      Fatal("EVP_MD_fetch(SHA256)");
    }
    return fetched;
  }();
  return md;
}

}  // namespace coffer::crypto::internal

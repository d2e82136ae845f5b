#include "server/tls_context.h"

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory>

namespace coffer::server {
namespace {

struct PkeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct X509Free {
  void operator()(X509* p) const { X509_free(p); }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;
using X509Ptr = std::unique_ptr<X509, X509Free>;

// A P-256 key and a one-year self-signed certificate for localhost.
Status InstallSelfSigned(boost::asio::ssl::context& ctx) {
  PkeyPtr key(EVP_EC_gen("P-256"));
  if (!key) return InternalError("cannot generate TLS key");
  X509Ptr cert(X509_new());
  if (!cert) return InternalError("cannot allocate certificate");
  X509_set_version(cert.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), 1);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 365L * 24 * 3600);
  X509_set_pubkey(cert.get(), key.get());
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("localhost"),
                             -1, -1, 0);
  X509_set_issuer_name(cert.get(), name);
  X509V3_CTX v3;
  X509V3_set_ctx_nodb(&v3);
  X509V3_set_ctx(&v3, cert.get(), cert.get(), nullptr, nullptr, 0);
  X509_EXTENSION* san =
      X509V3_EXT_conf_nid(nullptr, &v3, NID_subject_alt_name, "DNS:localhost,IP:127.0.0.1,IP:::1");
  if (san != nullptr) {
    X509_add_ext(cert.get(), san, -1);
    X509_EXTENSION_free(san);
  }
  if (X509_sign(cert.get(), key.get(), EVP_sha256()) <= 0) return InternalError("cannot sign certificate");
  if (SSL_CTX_use_certificate(ctx.native_handle(), cert.get()) != 1 ||
      SSL_CTX_use_PrivateKey(ctx.native_handle(), key.get()) != 1) {
    return InternalError("cannot install self-signed certificate");
  }
  return Status::Ok();
}

}  // namespace

StatusOr<boost::asio::ssl::context> MakeTlsContext(const TlsOptions& options) {
  boost::asio::ssl::context ctx(boost::asio::ssl::context::tls_server);
  ctx.set_options(boost::asio::ssl::context::default_workarounds | boost::asio::ssl::context::no_sslv2 |
                  boost::asio::ssl::context::no_sslv3 | boost::asio::ssl::context::no_tlsv1 |
                  boost::asio::ssl::context::no_tlsv1_1);
  if (options.self_signed) {
    RETURN_IF_ERROR(InstallSelfSigned(ctx));
    return ctx;
  }
  boost::system::error_code ec;
  ctx.use_certificate_chain_file(options.cert_file, ec);
  if (ec) return InternalError("cannot load TLS certificate " + options.cert_file + ": " + ec.message());
  ctx.use_private_key_file(options.key_file, boost::asio::ssl::context::pem, ec);
  if (ec) return InternalError("cannot load TLS key " + options.key_file + ": " + ec.message());
  return ctx;
}

}  // namespace coffer::server

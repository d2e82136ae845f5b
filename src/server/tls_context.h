// TLS server context for the listener: from PEM files, or a fresh self-signed
// certificate for development. Beast's TLS stream needs OpenSSL types here,
// the one place outside src/crypto that includes them.
#pragma once

#include <boost/asio/ssl/context.hpp>

#include "common/status_or.h"
#include "server/http_server.h"

namespace coffer::server {

StatusOr<boost::asio::ssl::context> MakeTlsContext(const TlsOptions& options);

}  // namespace coffer::server

// The EXTERNAL_KEY_STORE backend of KMS custom key stores
// (kms/custom_key_store.h): Coffer's KMS as a client of an XKS proxy.
//
// Double encryption, as AWS KMS does it: a key in an external key store has
// Coffer's own KMS-layer material (a normal wrapped KeyVersion) and an
// external key in the proxy (XksKeyId). Encrypt seals the plaintext under
// the KMS layer first (kms::SealCiphertext, encryption context bound), then
// has the proxy encrypt that whole inner blob. Neither layer alone decrypts:
// disabling the external key, or losing Coffer's material, makes the
// ciphertext unreadable.
//
// Ciphertext blob of an XKS key (all lengths checked on parse):
//
//   ..  Coffer's header: 0x01 | u8 len, account | u8 len, key id | 32 version id
//       (the same bytes kms::SealCiphertext writes, so Decrypt without KeyId
//       finds the key; the version names the KMS-layer material)
//   u8  0x58 ('X': the external layer follows)
//   u8  ciphertextMetadata length (0..20), ciphertextMetadata
//   u8  IV length (12 or 16), IV            (the proxy's)
//   16  authentication tag                  (the proxy's)
//   ..  outer ciphertext: the proxy's AES-GCM of the inner blob, with
//       additionalAuthenticatedData = Coffer's header bytes
//
// where the inner blob is the whole kms::SealCiphertext output (header,
// salt, IV, ciphertext, tag) under the KMS-layer material.
//
// Errors follow the XKS specification's table of KMS exceptions: during
// cryptographic operations every proxy failure is KMSInvalidStateException
// with AWS's message for the cause; during CreateKey XksKeyNotFoundException,
// XksKeyInvalidConfigurationException, XksKeyAlreadyInUseException or
// CustomKeyStoreInvalidStateException; Connect failures set AWS's
// ConnectionErrorCode.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/random.h"
#include "kms/custom_key_store.h"
#include "kms/key_store.h"
#include "xks/client.h"

namespace coffer::xks {

struct BackendOptions {
  std::chrono::seconds timeout{2};  // per proxy call
  std::string ca_bundle;            // PEM trust anchors for the proxy's certificate; empty: system store
  // "FROM=TO": a store whose XksProxyUriEndpoint is FROM is reached at TO
  // (e.g. https://xks.example.com=https://10.0.0.5:8443). AWS's endpoint
  // pattern has no port; this is how a proxy on another port is reached.
  std::vector<std::string> endpoint_map;
};

// kValidation unless `spec` is FROM=TO with two http(s) URLs.
Status CheckEndpointMapping(std::string_view spec);
// Where a store's endpoint is reached: its mapping's TO, else itself.
std::string ReachableEndpoint(const BackendOptions& options, const std::string& uri_endpoint);

// The factory to register for kms::kTypeExternalKeyStore. `keys` finds other
// keys of the store (XksKeyAlreadyInUseException).
kms::BackendFactory XksBackendFactory(kms::KeyStore& keys, RandomSource& random, const Clock& clock,
                                      BackendOptions options);

// Connect's ConnectionErrorCode for a failed health check.
std::string ConnectionErrorCodeFor(const Status& failure);
// The KMS error of a failed proxy call during Encrypt/Decrypt/... (always
// KMSInvalidStateException, AWS's message for the cause) and during CreateKey.
Status CryptoErrorFor(const Status& failure);
Status CreateKeyErrorFor(const Status& failure);

}  // namespace coffer::xks

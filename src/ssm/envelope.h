// The stored form of an advanced-tier SecureString: the value sealed with
// AES-256-GCM under a fresh KMS data key, beside the KMS-wrapped data key.
//   "CPE1" | u16 big-endian length of the wrapped key | wrapped key | ciphertext | 16-byte tag
// The IV is all zeros: every data key seals exactly one value, so a
// (key, IV) pair never repeats. The AAD is the parameter's ARN, so a
// ciphertext moved to another parameter does not open.
#pragma once

#include <string>
#include <string_view>

#include "common/bytes.h"
#include "common/status_or.h"

namespace coffer::ssm {

inline constexpr std::string_view kEnvelopeSealing = "envelope";

struct Envelope {
  Bytes wrapped_key;
  Bytes ciphertext;  // with the tag at the end
};

StatusOr<Bytes> SealEnvelope(ByteView data_key, ByteView wrapped_key, std::string_view arn,
                             ByteView plaintext);
// kInternal when `blob` is not an envelope.
StatusOr<Envelope> ParseEnvelope(ByteView blob);
// kInvalidCiphertext when the tag does not verify.
StatusOr<std::string> OpenEnvelope(ByteView data_key, const Envelope& env, std::string_view arn);

}  // namespace coffer::ssm

// Key derivation, header authentication and the message body
// (data-format/message-body.md, message-body-aad.md): framed and non-framed.
#pragma once

#include <cstdint>

#include "common/cursor.h"
#include "common/secret_bytes.h"
#include "crypto/aead_key.h"
#include "envelope/header.h"
#include "envelope/stream_util.h"

namespace coffer::envelope {

// The AES key for the body and header tag: the data key itself (identity
// KDF), v1 HKDF (info = suite id || message id, no salt) or v2 HKDF-SHA512
// (salt = message id, info = suite id || "DERIVEKEY").
StatusOr<SecretBytes> DeriveContentKey(const SuiteInfo& suite, ByteView data_key, ByteView message_id);
// v2 only: HKDF-SHA512, salt = message id, info = "COMMITKEY".
StatusOr<SecretBytes> DeriveCommitKey(ByteView data_key, ByteView message_id);

// The header tag over `header.body || authenticated_only_context`.
StatusOr<Bytes> ComputeHeaderTag(const MessageHeader& header, ByteView key, ByteView auth_only_context);
// kInvalidCiphertext unless the stored tag verifies.
Status VerifyHeaderTag(const MessageHeader& header, ByteView key, ByteView auth_only_context);

// Appends one frame of a framed body to `out`; `final` writes the final-frame
// layout (content length field, any length up to the frame length).
Status SealFrame(const MessageHeader& header, crypto::AesGcmKey& key, std::uint32_t seq, bool final,
                 ByteView plaintext, Bytes& out);
// Appends the whole non-framed body to `out`.
Status SealNonFramed(const MessageHeader& header, crypto::AesGcmKey& key, ByteView plaintext, Bytes& out);

// Reads and decrypts the next frame `seq` (or, non-framed, the whole body)
// from `cursor` and appends its plaintext to out_plaintext (memory is taken
// only once the whole frame is there; on failure nothing is appended). When
// the cursor ends inside the frame, nothing is consumed and need_more is set.
struct OpenedFrame {
  bool final = false;
  bool need_more = false;
  Status missing;  // with need_more: the error should the message end here
};
StatusOr<OpenedFrame> OpenNextFrame(const MessageHeader& header, crypto::AesGcmKey& key, std::uint32_t seq,
                                    Cursor& cursor, SecretBuffer& out_plaintext);

// Appends the body for `plaintext` to `out`.
Status EncryptBody(const MessageHeader& header, ByteView key, ByteView plaintext, Bytes& out);

// Reads the body from `cursor` and decrypts it into `out_plaintext`; every
// frame's tag is checked and on any failure out_plaintext is wiped.
Status DecryptBody(const MessageHeader& header, ByteView key, Cursor& cursor, SecretBytes& out_plaintext);

}  // namespace coffer::envelope

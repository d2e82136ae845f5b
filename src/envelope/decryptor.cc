// Decryption (client-apis/decrypt.md), streamed: parse and authenticate the
// header, then decrypt frame by frame as bytes arrive, and verify the footer
// signature. Plaintext of a frame leaves only after its tag verified, and of
// a signed message (unless the caller opted in) only after the signature did.
#include <algorithm>
#include <cstdint>

#include "common/encoding.h"
#include "crypto/primitives.h"
#include "envelope/body.h"
#include "envelope/decrypt_checks.h"
#include "envelope/stream_util.h"
#include "envelope/wire.h"

namespace coffer::envelope {
namespace {

enum class State : std::uint8_t { kHeader, kBody, kFooter, kDone, kFailed };

constexpr std::size_t kOutputBatch = 64 * 1024;

class StreamDecryptor final : public Decryptor {
 public:
  StreamDecryptor(CryptoMaterialsManager& cmm, DecryptOptions options, StreamOptions stream)
      : cmm_(cmm), options_(std::move(options)), stream_(stream) {}

  Status Update(ByteView message, Sink& out) override { return Guard(Consume(message, out, false)); }
  Status Finish(Sink& out) override { return Guard(DoFinish(out)); }
  std::optional<SuiteId> suite() const override {
    if (header_.suite == nullptr || state_ == State::kHeader) return std::nullopt;
    return header_.suite->id;
  }
  const EncryptionContext& context() const override { return context_; }

 private:
  Status Guard(Status status);
  // Feed, then Flush: what the bytes so far verified leaves in this call.
  Status Consume(ByteView in, Sink& out, bool at_end);
  Status Feed(ByteView in, Sink& out, bool at_end);
  Status Flush(Sink& out);
  Status Run(Cursor& cursor, Sink& out, bool at_end);
  // How many bytes of new input to add to pending_ at a time.
  std::size_t TopUpSize() const;
  // One step of the state machine on `cursor`; sets `progressed` when it consumed bytes.
  Status Step(Cursor& cursor, Sink& out, bool at_end, bool& progressed);
  Status StepHeader(Cursor& cursor, bool at_end, bool& progressed);
  Status StepFrame(Cursor& cursor, Sink& out, bool& progressed);
  Status StepFooter(Cursor& cursor, bool& progressed);
  Status StartBody();
  Status DoFinish(Sink& out);
  void Hash(ByteView bytes) {
    if (hasher_ != nullptr) hasher_->Update(bytes);
  }

  CryptoMaterialsManager& cmm_;
  DecryptOptions options_;
  StreamOptions stream_;
  State state_ = State::kHeader;
  MessageHeader header_;
  EncryptionContext context_;
  std::unique_ptr<crypto::AesGcmKey> key_;
  std::unique_ptr<crypto::Hasher> hasher_;
  std::unique_ptr<crypto::EcdsaVerifier> verifier_;
  std::uint32_t seq_ = 1;
  std::size_t next_header_attempt_ = 0;
  bool verified_ = false;  // Finish checked the whole message (and its signature)
  Status missing_;         // what the body lacks, should the message end now
  Bytes pending_;          // message bytes not yet consumed (less than one field)
  // Verified plaintext not yet handed to the sink: up to kOutputBatch bytes
  // (one write per batch, not per frame), or, for a signed message under
  // kWithhold, all of it until the footer verifies.
  SecretBuffer plaintext_;
};

Status StreamDecryptor::Guard(Status status) {
  if (!status.ok()) {
    state_ = State::kFailed;
    plaintext_.Release();
    key_.reset();
  }
  return status;
}

Status StreamDecryptor::Run(Cursor& cursor, Sink& out, bool at_end) {
  for (bool progressed = true; progressed;) {
    progressed = false;
    RETURN_IF_ERROR(Step(cursor, out, at_end, progressed));
  }
  return Status::Ok();
}

std::size_t StreamDecryptor::TopUpSize() const {
  constexpr std::size_t kFrameOverhead = 64;  // sequence numbers, IV, length, tag
  if (state_ == State::kBody && header_.content_type == ContentType::kFramed) {
    return std::size_t{header_.frame_length} + kFrameOverhead;
  }
  if (state_ == State::kBody) return SIZE_MAX;  // a non-framed body is needed whole
  return std::max<std::size_t>(pending_.size(), 4096);
}

// Bytes left from the last call go first, topped up from `in` about one
// field at a time, so at most about a frame is copied per call; the rest of
// `in` is read in place.
Status StreamDecryptor::Consume(ByteView in, Sink& out, bool at_end) {
  RETURN_IF_ERROR(Feed(in, out, at_end));
  return Flush(out);
}

// Hands the verified plaintext to the sink, unless it is being withheld.
Status StreamDecryptor::Flush(Sink& out) {
  const bool withhold = hasher_ != nullptr && stream_.unverified_plaintext == UnverifiedPlaintext::kWithhold;
  if (plaintext_.size() == 0 || (withhold && !verified_)) return Status::Ok();
  RETURN_IF_ERROR(out.Write(plaintext_.view()));
  plaintext_.Reuse();
  return Status::Ok();
}

Status StreamDecryptor::Feed(ByteView in, Sink& out, bool at_end) {
  if (state_ == State::kFailed) return ValidationError("Decryptor used after an error");
  while (!pending_.empty()) {
    const std::size_t old_len = pending_.size();
    const std::size_t take = std::min(in.size(), TopUpSize());
    pending_.insert(pending_.end(), in.begin(), in.begin() + static_cast<std::ptrdiff_t>(take));
    Cursor cursor(pending_);
    RETURN_IF_ERROR(Run(cursor, out, at_end && take == in.size()));
    if (cursor.consumed() >= old_len) {
      in = in.subspan(cursor.consumed() - old_len);
      pending_.clear();
      break;
    }
    pending_.erase(pending_.begin(), pending_.begin() + static_cast<std::ptrdiff_t>(cursor.consumed()));
    if (take == in.size()) return Status::Ok();
    in = in.subspan(take);
  }
  Cursor cursor(in);
  RETURN_IF_ERROR(Run(cursor, out, at_end));
  pending_.assign(cursor.Rest().begin(), cursor.Rest().end());
  return Status::Ok();
}

Status StreamDecryptor::Step(Cursor& cursor, Sink& out, bool at_end, bool& progressed) {
  switch (state_) {
    case State::kHeader:
      return StepHeader(cursor, at_end, progressed);
    case State::kBody:
      return StepFrame(cursor, out, progressed);
    case State::kFooter:
      return StepFooter(cursor, progressed);
    case State::kDone:
      if (cursor.remaining() != 0) return Malformed("bytes after the end of the message");
      return Status::Ok();
    case State::kFailed:
      break;
  }
  return ValidationError("Decryptor used after an error");
}

Status StreamDecryptor::StepHeader(Cursor& cursor, bool at_end, bool& progressed) {
  // A header split over many small chunks is re-parsed only each time the
  // buffered bytes double, so parsing stays linear in the header size.
  if (!at_end && cursor.remaining() < next_header_attempt_) return Status::Ok();
  Cursor probe = cursor;
  auto header = ParseHeader(probe, options_.max_encrypted_data_keys);
  if (!header.ok()) {
    if (!probe.truncated()) return header.status();
    if (at_end) return header.status();
    next_header_attempt_ = 2 * cursor.remaining() + 1;
    return Status::Ok();
  }
  header_ = std::move(header).value();
  ByteView header_bytes;
  (void)cursor.ReadBytes(probe.consumed() - cursor.consumed(), &header_bytes);
  RETURN_IF_ERROR(StartBody());
  Hash(header_bytes);
  progressed = true;
  return Status::Ok();
}

// Policy, context and key checks, then the header tag: nothing of the body is
// touched before the header is authenticated.
Status StreamDecryptor::StartBody() {
  const SuiteInfo& suite = *header_.suite;
  if (!DecryptAllowed(options_.commitment_policy, suite)) {
    return ValidationError("non-committing algorithm suite not allowed by the commitment policy");
  }
  if (suite.signature_curve && stream_.unverified_plaintext == UnverifiedPlaintext::kRejectSigned) {
    return ValidationError("signed algorithm suite not allowed by this unsigned-only stream");
  }
  RETURN_IF_ERROR(CheckSigningKeyPresence(suite, header_.context));
  context_ = header_.context;
  ASSIGN_OR_RETURN(Bytes auth_only, MergeReproducedContext(options_, context_));
  ASSIGN_OR_RETURN(DecryptionMaterials materials,
                   cmm_.DecryptMaterials({suite.id, context_, header_.encrypted_data_keys}));
  ASSIGN_OR_RETURN(SecretBytes key, ContentKey(header_, materials));
  RETURN_IF_ERROR(VerifyHeaderTag(header_, key.view(), auth_only));
  ASSIGN_OR_RETURN(key_, crypto::AesGcmKey::Create(key.view()));
  if (suite.signature_curve) {
    ASSIGN_OR_RETURN(verifier_, Verifier(suite, header_.context));
    hasher_ = std::make_unique<crypto::Hasher>(SignatureHash(*suite.signature_curve));
  }
  state_ = State::kBody;
  return Status::Ok();
}

Status StreamDecryptor::StepFrame(Cursor& cursor, Sink& out, bool& progressed) {
  const ByteView before = cursor.Rest();
  ASSIGN_OR_RETURN(OpenedFrame frame, OpenNextFrame(header_, *key_, seq_, cursor, plaintext_));
  if (frame.need_more) {
    missing_ = std::move(frame.missing);
    return Status::Ok();
  }
  Hash(before.first(before.size() - cursor.remaining()));
  ++seq_;
  progressed = true;
  if (frame.final) state_ = header_.suite->signature_curve ? State::kFooter : State::kDone;
  if (plaintext_.size() >= kOutputBatch) return Flush(out);
  return Status::Ok();
}

Status StreamDecryptor::StepFooter(Cursor& cursor, bool& progressed) {
  Cursor probe = cursor;
  ByteView signature;
  if (!probe.ReadU16LengthPrefixed(&signature)) return Status::Ok();
  if (!verifier_->VerifyDigest(hasher_->Final(), signature).ok()) {
    return Status(ErrorCode::kInvalidCiphertext, "message signature does not verify");
  }
  cursor = probe;
  state_ = State::kDone;
  progressed = true;
  return Status::Ok();
}

Status StreamDecryptor::DoFinish(Sink& out) {
  RETURN_IF_ERROR(Consume({}, out, true));
  if (state_ == State::kBody) return missing_.ok() ? Malformed("message ends inside the body") : missing_;
  if (state_ == State::kFooter) return Malformed("footer signature");
  if (state_ != State::kDone) return Malformed("message ends inside the header");
  if (!pending_.empty()) return Malformed("bytes after the end of the message");
  verified_ = true;
  RETURN_IF_ERROR(Flush(out));
  plaintext_.Release();
  return Status::Ok();
}

}  // namespace

StatusOr<std::unique_ptr<Decryptor>> Decryptor::Create(CryptoMaterialsManager& cmm,
                                                       const DecryptOptions& options,
                                                       const StreamOptions& stream) {
  return std::unique_ptr<Decryptor>(new StreamDecryptor(cmm, options, stream));
}

StatusOr<DecryptResult> Decrypt(ByteView message, CryptoMaterialsManager& cmm,
                                const DecryptOptions& options) {
  ASSIGN_OR_RETURN(std::unique_ptr<Decryptor> decryptor, Decryptor::Create(cmm, options));
  SecretBuffer plaintext;
  SecretBufferSink sink(plaintext);
  Status status = decryptor->Update(message, sink);
  if (status.ok()) status = decryptor->Finish(sink);
  if (!status.ok()) return status;
  DecryptResult result{SecretBytes(plaintext.view()), decryptor->context(), *decryptor->suite()};
  return result;
}

StatusOr<DecryptResult> Decrypt(ByteView message, Keyring& keyring, const DecryptOptions& options) {
  auto cmm = NewDefaultCmm(keyring);
  return Decrypt(message, *cmm, options);
}

}  // namespace coffer::envelope

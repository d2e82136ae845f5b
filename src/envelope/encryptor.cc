// Encryption (client-apis/encrypt.md), streamed: materials from the CMM,
// header with its tag, then one frame per frame_length plaintext bytes, and
// for signed suites the footer signature over everything before it.
#include "crypto/crypto.h"
#include "envelope/body.h"
#include "envelope/stream_util.h"
#include "envelope/wire.h"

namespace coffer::envelope {
namespace {

constexpr std::string_view kReservedPrefix = "aws-crypto-";

StatusOr<const SuiteInfo*> ChooseSuite(const EncryptOptions& options) {
  if (!options.suite) {
    return &GetSuite(options.commitment_policy == CommitmentPolicy::kForbidEncryptAllowDecrypt
                         ? SuiteId::kAes256GcmIv12Tag16HkdfSha384EcdsaP384
                         : SuiteId::kAes256GcmHkdfSha512CommitKeyEcdsaP384);
  }
  const SuiteInfo* suite = FindSuite(static_cast<std::uint16_t>(*options.suite));
  if (suite == nullptr) return ValidationError("unknown algorithm suite");
  if (!EncryptAllowed(options.commitment_policy, *suite)) {
    return ValidationError("algorithm suite not allowed by the commitment policy");
  }
  return suite;
}

Status CheckContext(const EncryptionContext& context) {
  for (const auto& entry : context) {
    if (entry.first.starts_with(kReservedPrefix)) {
      return ValidationError("encryption context keys starting with aws-crypto- are reserved");
    }
  }
  return Status::Ok();
}

// Materials from the CMM, checked: data key length, EDK count, signing key.
StatusOr<EncryptionMaterials> GetMaterials(const SuiteInfo& suite, CryptoMaterialsManager& cmm,
                                           const EncryptionContext& context, const EncryptOptions& options) {
  ASSIGN_OR_RETURN(EncryptionMaterials materials,
                   cmm.GetEncryptionMaterials({suite.id, context, options.plaintext_length}));
  if (materials.suite != suite.id) return InternalError("materials are for another algorithm suite");
  if (materials.plaintext_data_key.size() != suite.key_len) {
    return InternalError("keyring produced a data key of the wrong length");
  }
  if (materials.encrypted_data_keys.empty()) return InternalError("keyring produced no encrypted data key");
  if (options.max_encrypted_data_keys != 0 &&
      materials.encrypted_data_keys.size() > options.max_encrypted_data_keys) {
    return Status(ErrorCode::kLimitExceeded, "more encrypted data keys than allowed");
  }
  if (suite.signature_curve.has_value() != (materials.signing_key != nullptr)) {
    return InternalError("materials signing key does not match the algorithm suite");
  }
  return materials;
}

StatusOr<MessageHeader> BuildHeader(const SuiteInfo& suite, const EncryptionMaterials& materials,
                                    const EncryptOptions& options, SecretBytes& out_key) {
  MessageHeader header;
  header.suite = &suite;
  header.message_id.resize(MessageIdLen(suite));
  crypto::OsRandom random;
  RETURN_IF_ERROR(random.Fill(header.message_id));
  header.context = materials.context;
  header.encrypted_data_keys = materials.encrypted_data_keys;
  header.content_type = options.frame_length == 0 ? ContentType::kNonFramed : ContentType::kFramed;
  header.frame_length = options.frame_length;
  const ByteView data_key = materials.plaintext_data_key.view();
  ASSIGN_OR_RETURN(out_key, DeriveContentKey(suite, data_key, header.message_id));
  if (suite.committing) {
    ASSIGN_OR_RETURN(SecretBytes commit_key, DeriveCommitKey(data_key, header.message_id));
    header.commitment.assign(commit_key.view().begin(), commit_key.view().end());
  }
  ASSIGN_OR_RETURN(header.body, SerializeHeaderBody(header));
  header.auth_iv.assign(kIvLen, 0);
  ASSIGN_OR_RETURN(header.auth_tag, ComputeHeaderTag(header, out_key.view(), {}));
  return header;
}

class StreamEncryptor final : public Encryptor {
 public:
  StreamEncryptor(MessageHeader header, std::unique_ptr<crypto::AesGcmKey> key,
                  std::shared_ptr<const crypto::EcdsaSigner> signer,
                  std::optional<std::uint64_t> expected_len)
      : header_(std::move(header)),
        key_(std::move(key)),
        signer_(std::move(signer)),
        expected_len_(expected_len) {
    if (signer_ != nullptr)
      hasher_ = std::make_unique<crypto::Hasher>(SignatureHash(*header_.suite->signature_curve));
    pending_ = header_.body;
    AppendBytes(pending_, SerializeHeaderAuth(header_));
    if (header_.content_type == ContentType::kFramed) buffer_.Reserve(header_.frame_length);
  }

  Status Update(ByteView plaintext, Sink& out) override { return Guard(DoUpdate(plaintext, out)); }
  Status Finish(Sink& out) override { return Guard(DoFinish(out)); }
  SuiteId suite() const override { return header_.suite->id; }

 private:
  Status Guard(Status status) {
    if (!status.ok()) {
      failed_ = true;
      buffer_.Release();
    }
    return status;
  }
  Status DoUpdate(ByteView plaintext, Sink& out);
  Status DoFinish(Sink& out);
  Status SealFull(ByteView frame);
  Status Flush(Sink& out);

  MessageHeader header_;
  std::unique_ptr<crypto::AesGcmKey> key_;
  std::shared_ptr<const crypto::EcdsaSigner> signer_;
  std::unique_ptr<crypto::Hasher> hasher_;
  std::optional<std::uint64_t> expected_len_;
  std::uint64_t total_len_ = 0;
  std::uint32_t seq_ = 1;
  SecretBuffer buffer_;  // plaintext not yet in a frame (at most one frame)
  Bytes pending_;        // message bytes not yet written
  bool failed_ = false;
  bool finished_ = false;
};

Status StreamEncryptor::Flush(Sink& out) {
  if (pending_.empty()) return Status::Ok();
  if (hasher_ != nullptr) hasher_->Update(pending_);
  Status status = out.Write(pending_);
  pending_.clear();
  return status;
}

Status StreamEncryptor::SealFull(ByteView frame) {
  return SealFrame(header_, *key_, seq_++, false, frame, pending_);
}

Status StreamEncryptor::DoUpdate(ByteView plaintext, Sink& out) {
  if (failed_ || finished_) return ValidationError("Encryptor used after an error or after Finish");
  total_len_ += plaintext.size();
  if (expected_len_ && total_len_ > *expected_len_)
    return ValidationError("plaintext longer than plaintext_length");
  if (header_.content_type == ContentType::kNonFramed) {
    buffer_.Append(plaintext);
    return Status::Ok();
  }
  const std::size_t frame = header_.frame_length;
  // A frame is sealed only once a byte past it has arrived: the last frame
  // must be the final frame, even when it is full.
  if (buffer_.size() > 0 && buffer_.size() + plaintext.size() > frame) {
    const std::size_t take = frame - buffer_.size();
    buffer_.Append(plaintext.first(take));
    plaintext = plaintext.subspan(take);
    RETURN_IF_ERROR(SealFull(buffer_.view()));
    buffer_.Clear();
    RETURN_IF_ERROR(Flush(out));
  }
  while (plaintext.size() > frame) {
    RETURN_IF_ERROR(SealFull(plaintext.first(frame)));
    plaintext = plaintext.subspan(frame);
    if (pending_.size() >= 64 * 1024) RETURN_IF_ERROR(Flush(out));
  }
  buffer_.Append(plaintext);
  return Flush(out);
}

Status StreamEncryptor::DoFinish(Sink& out) {
  if (failed_ || finished_) return ValidationError("Encryptor used after an error or after Finish");
  finished_ = true;
  if (expected_len_ && total_len_ != *expected_len_)
    return ValidationError("plaintext shorter than plaintext_length");
  if (header_.content_type == ContentType::kNonFramed) {
    RETURN_IF_ERROR(SealNonFramed(header_, *key_, buffer_.view(), pending_));
  } else {
    RETURN_IF_ERROR(SealFrame(header_, *key_, seq_, true, buffer_.view(), pending_));
  }
  buffer_.Release();
  RETURN_IF_ERROR(Flush(out));
  if (signer_ == nullptr) return Status::Ok();
  ASSIGN_OR_RETURN(Bytes signature, signer_->SignDigest(hasher_->Final()));
  Bytes footer;
  RETURN_IF_ERROR(AppendU16Prefixed(footer, signature, "signature"));
  return out.Write(footer);
}

}  // namespace

StatusOr<std::unique_ptr<Encryptor>> Encryptor::Create(CryptoMaterialsManager& cmm,
                                                       const EncryptionContext& context,
                                                       const EncryptOptions& options) {
  ASSIGN_OR_RETURN(const SuiteInfo* suite, ChooseSuite(options));
  RETURN_IF_ERROR(CheckContext(context));
  ASSIGN_OR_RETURN(EncryptionMaterials materials, GetMaterials(*suite, cmm, context, options));
  SecretBytes key;
  ASSIGN_OR_RETURN(MessageHeader header, BuildHeader(*suite, materials, options, key));
  ASSIGN_OR_RETURN(std::unique_ptr<crypto::AesGcmKey> aead, crypto::AesGcmKey::Create(key.view()));
  return std::unique_ptr<Encryptor>(new StreamEncryptor(std::move(header), std::move(aead),
                                                        materials.signing_key, options.plaintext_length));
}

StatusOr<Bytes> Encrypt(ByteView plaintext, CryptoMaterialsManager& cmm, const EncryptionContext& context,
                        const EncryptOptions& options) {
  EncryptOptions with_len = options;
  with_len.plaintext_length = plaintext.size();
  ASSIGN_OR_RETURN(std::unique_ptr<Encryptor> encryptor, Encryptor::Create(cmm, context, with_len));
  Bytes message;
  BytesSink sink(message);
  RETURN_IF_ERROR(encryptor->Update(plaintext, sink));
  RETURN_IF_ERROR(encryptor->Finish(sink));
  return message;
}

StatusOr<Bytes> Encrypt(ByteView plaintext, Keyring& keyring, const EncryptionContext& context,
                        const EncryptOptions& options) {
  auto cmm = NewDefaultCmm(keyring);
  return Encrypt(plaintext, *cmm, context, options);
}

}  // namespace coffer::envelope

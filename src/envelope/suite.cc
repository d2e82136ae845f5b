#include "envelope/suite.h"

#include <array>

namespace coffer::envelope {
namespace {

using crypto::EcCurve;

constexpr std::array<SuiteInfo, 11> kSuites = {{
    {SuiteId::kAes128GcmIv12Tag16NoKdf, 1, 16, Kdf::kIdentity, false, std::nullopt},
    {SuiteId::kAes192GcmIv12Tag16NoKdf, 1, 24, Kdf::kIdentity, false, std::nullopt},
    {SuiteId::kAes256GcmIv12Tag16NoKdf, 1, 32, Kdf::kIdentity, false, std::nullopt},
    {SuiteId::kAes128GcmIv12Tag16HkdfSha256, 1, 16, Kdf::kHkdfSha256, false, std::nullopt},
    {SuiteId::kAes192GcmIv12Tag16HkdfSha256, 1, 24, Kdf::kHkdfSha256, false, std::nullopt},
    {SuiteId::kAes256GcmIv12Tag16HkdfSha256, 1, 32, Kdf::kHkdfSha256, false, std::nullopt},
    {SuiteId::kAes128GcmIv12Tag16HkdfSha256EcdsaP256, 1, 16, Kdf::kHkdfSha256, false, EcCurve::kP256},
    {SuiteId::kAes192GcmIv12Tag16HkdfSha384EcdsaP384, 1, 24, Kdf::kHkdfSha384, false, EcCurve::kP384},
    {SuiteId::kAes256GcmIv12Tag16HkdfSha384EcdsaP384, 1, 32, Kdf::kHkdfSha384, false, EcCurve::kP384},
    {SuiteId::kAes256GcmHkdfSha512CommitKey, 2, 32, Kdf::kHkdfSha512, true, std::nullopt},
    {SuiteId::kAes256GcmHkdfSha512CommitKeyEcdsaP384, 2, 32, Kdf::kHkdfSha512, true, EcCurve::kP384},
}};

}  // namespace

const std::vector<SuiteId>& AllSuites() {
  static const std::vector<SuiteId> all = [] {
    std::vector<SuiteId> ids;
    for (const SuiteInfo& s : kSuites) ids.push_back(s.id);
    return ids;
  }();
  return all;
}

const SuiteInfo* FindSuite(std::uint16_t wire_id) {
  for (const SuiteInfo& s : kSuites) {
    if (static_cast<std::uint16_t>(s.id) == wire_id) return &s;
  }
  return nullptr;
}

const SuiteInfo& GetSuite(SuiteId id) {
  const SuiteInfo* suite = FindSuite(static_cast<std::uint16_t>(id));
  return suite != nullptr ? *suite : kSuites.back();
}

std::size_t MessageIdLen(const SuiteInfo& suite) { return suite.message_version == 1 ? 16 : 32; }

crypto::HashAlg SignatureHash(crypto::EcCurve curve) {
  return curve == EcCurve::kP256 ? crypto::HashAlg::kSha256 : crypto::HashAlg::kSha384;
}

bool DecryptAllowed(CommitmentPolicy policy, const SuiteInfo& suite) {
  return policy != CommitmentPolicy::kRequireEncryptRequireDecrypt || suite.committing;
}

bool EncryptAllowed(CommitmentPolicy policy, const SuiteInfo& suite) {
  return policy == CommitmentPolicy::kForbidEncryptAllowDecrypt ? !suite.committing : suite.committing;
}

}  // namespace coffer::envelope

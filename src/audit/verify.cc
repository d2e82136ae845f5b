#include "audit/verify.h"

#include <map>

#include "audit/chain.h"
#include "audit/event.h"
#include "audit/retention.h"
#include "audit/signing_key_store.h"
#include "common/encoding.h"
#include "crypto/signing_key.h"

namespace coffer::audit {
namespace {

using nlohmann::json;

std::vector<std::string> SplitLines(const std::string& text) {
  std::vector<std::string> lines;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t nl = text.find('\n', start);
    if (nl == std::string::npos) nl = text.size();
    lines.push_back(text.substr(start, nl - start));
    start = nl + 1;
  }
  return lines;
}

bool InRange(const VerifyOptions& options, std::string_view iso_time) {
  if (!options.from && !options.to) return true;
  auto t = ParseIsoTime(iso_time);
  if (!t.ok()) return true;  // an unreadable time is reported, not filtered
  return (!options.from || *t >= *options.from) && (!options.to || *t <= *options.to);
}

class Verifier {
 public:
  Verifier(const VerifyOptions& options, Bytes public_der, std::optional<RetentionMarker> marker)
      : options_(options),
        public_der_(std::move(public_der)),
        fingerprint_(KeyFingerprint(public_der_)),
        marker_(std::move(marker)) {}

  void Records(const std::vector<std::string>& lines) {
    for (std::size_t i = 0; i < lines.size(); ++i) Record(i + 1, lines[i]);
  }
  void Digests(const std::vector<std::string>& lines) {
    for (std::size_t i = 0; i < lines.size(); ++i) DigestLine(i + 1, lines[i]);
    report_.unsigned_tail = last_seq_ > digest_last_seq_ ? last_seq_ - digest_last_seq_ : 0;
  }
  VerifyReport Report() { return report_; }

 private:
  void RecordProblem(std::uint64_t line, std::string what, bool in_range) {
    if (in_range && !report_.first_record_problem) {
      report_.first_record_problem = Problem{std::string(kEventsFile), line, std::move(what)};
    }
  }
  void DigestProblem(std::uint64_t line, std::string what, bool in_range) {
    if (in_range && !report_.first_digest_problem) {
      report_.first_digest_problem = Problem{std::string(kDigestsFile), line, std::move(what)};
    }
  }

  void Record(std::uint64_t line, const std::string& text) {
    ++report_.records;
    auto record = ParseRecord(text);
    if (!record.ok()) return RecordProblem(line, "record does not parse: " + record.status().message(), true);
    const bool in_range = InRange(options_, record->event.value("eventTime", ""));
    if (in_range) ++report_.records_in_range;
    const std::string seq = std::to_string(record->seq);
    if (last_seq_ == 0 && record->seq != 1) {
      // Only retention may remove the beginning, and its signed marker says where it cut.
      if (!marker_ || marker_->first_seq != record->seq || marker_->prev_hash != record->prev) {
        RecordProblem(line, "the log starts at seq " + seq + ": the records before it are missing", in_range);
      }
    } else if (last_seq_ == 0 && record->prev != kGenesisHash) {
      RecordProblem(line, "seq 1 does not start from the genesis hash", in_range);
    } else if (last_seq_ != 0 && record->seq != last_seq_ + 1) {
      RecordProblem(line,
                    "seq " + seq + " where " + std::to_string(last_seq_ + 1) +
                        " was expected (a record was deleted, inserted or moved)",
                    in_range);
    } else if (last_seq_ != 0 && record->prev != last_hash_) {
      RecordProblem(line, "seq " + seq + ": prev does not match the hash of the record before it", in_range);
    }
    if (RecordHash(record->seq, record->prev, record->event_text) != record->hash) {
      RecordProblem(line, "seq " + seq + ": hash does not match the record's content (edited)", in_range);
    }
    if (options_.node_id && record->event.value(kNodeIdMember, "") != *options_.node_id) {
      RecordProblem(line,
                    "seq " + seq + ": record of another node (" + record->event.value(kNodeIdMember, "none") +
                        ") in the chain of node " + *options_.node_id,
                    in_range);
    }
    if (first_seq_ == 0) first_seq_ = record->seq;
    last_seq_ = record->seq;
    last_hash_ = record->hash;
    hashes_[record->seq] = record->hash;
  }

  void DigestLine(std::uint64_t line, const std::string& text) {
    ++report_.digests;
    auto d = ParseDigest(text);
    if (!d.ok()) return DigestProblem(line, "digest does not parse: " + d.status().message(), true);
    const bool in_range = InRange(options_, d->end_time) || InRange(options_, d->start_time);
    const std::string label = "digest " + std::to_string(d->number) + ": ";
    const auto signature = Base64Decode(d->signature);
    if (d->public_key_fingerprint != fingerprint_) {
      DigestProblem(line, label + "signed by another key (fingerprint " + d->public_key_fingerprint + ")",
                    in_range);
    } else if (!signature ||
               !crypto::VerifyP384(public_der_, AsBytes(DigestSignedText(*d)), *signature).ok()) {
      DigestProblem(line, label + "signature does not verify (digest edited or forged)", in_range);
    } else if (options_.node_id && d->node_id != *options_.node_id) {
      DigestProblem(line,
                    label + "signed for another node (" + (d->node_id.empty() ? "none" : d->node_id) +
                        ") in the chain of node " + *options_.node_id,
                    in_range);
    } else {
      CheckDigestPlace(line, *d, label, in_range);
    }
    digest_number_ = d->number;
    digest_last_seq_ = d->last_seq;
    previous_line_hash_ = LineHash(text);
  }

  void CheckDigestPlace(std::uint64_t line, const Digest& d, const std::string& label, bool in_range) {
    const bool first = report_.digests == 1;
    const bool cut_by_retention = marker_ && marker_->first_digest == d.number &&
                                  marker_->previous_digest_hash == d.previous_digest_hash &&
                                  marker_->first_seq == d.first_seq;
    if (first && cut_by_retention) return CheckDigestHead(line, d, label, in_range);
    if (first && (d.number != 1 || d.first_seq != 1)) {
      return DigestProblem(line, label + "is the first digest present: the digests before it are missing",
                           in_range);
    }
    if ((first && d.previous_digest_hash != kGenesisHash) ||
        (!first && d.previous_digest_hash != previous_line_hash_)) {
      return DigestProblem(line, label + "previous digest is missing, edited or moved", in_range);
    }
    if (!first && d.number != digest_number_ + 1) {
      return DigestProblem(line,
                           label + "number " + std::to_string(d.number) + " where " +
                               std::to_string(digest_number_ + 1) + " was expected",
                           in_range);
    }
    if (d.count != d.last_seq + 1 - d.first_seq || (!first && d.first_seq != digest_last_seq_ + 1)) {
      return DigestProblem(line, label + "covered range does not follow the previous digest", in_range);
    }
    CheckDigestHead(line, d, label, in_range);
  }

  void CheckDigestHead(std::uint64_t line, const Digest& d, const std::string& label, bool in_range) {
    if (d.last_seq > last_seq_) {
      return DigestProblem(line,
                           label + "covers records up to seq " + std::to_string(d.last_seq) +
                               " but the log ends at seq " + std::to_string(last_seq_) +
                               " (records deleted at the end)",
                           in_range);
    }
    if (d.last_seq >= first_seq_ && d.last_seq > 0) {
      const auto it = hashes_.find(d.last_seq);
      if (it == hashes_.end() || it->second != d.head_hash) {
        DigestProblem(line,
                      label + "head hash differs from record seq " + std::to_string(d.last_seq) +
                          " (records rewritten after signing)",
                      in_range);
      }
    }
  }

  const VerifyOptions& options_;
  Bytes public_der_;
  std::string fingerprint_;
  std::optional<RetentionMarker> marker_;
  VerifyReport report_;
  std::uint64_t first_seq_ = 0;
  std::uint64_t last_seq_ = 0;
  std::string last_hash_;
  std::map<std::uint64_t, std::string> hashes_;
  std::uint64_t digest_number_ = 0;
  std::uint64_t digest_last_seq_ = 0;
  std::string previous_line_hash_{kGenesisHash};
};

json ProblemJson(const std::optional<Problem>& p) {
  if (!p) return json();
  return {{"file", p->file}, {"line", p->line}, {"problem", p->what}};
}

}  // namespace

json VerifyReport::ToJson() const {
  return {{"valid", ok()},
          {"records", records},
          {"recordsInRange", records_in_range},
          {"digests", digests},
          {"recordsAfterLastDigest", unsigned_tail},
          {"firstRecordProblem", ProblemJson(first_record_problem)},
          {"firstDigestProblem", ProblemJson(first_digest_problem)}};
}

StatusOr<VerifyReport> VerifyAuditDir(const VerifyOptions& options) {
  std::string pem;
  if (options.public_key_pem) {
    pem = *options.public_key_pem;
  } else {
    ASSIGN_OR_RETURN(pem, ReadWholeFile(options.public_key.value_or(options.dir / kPublicKeyFile)));
  }
  ASSIGN_OR_RETURN(Bytes public_der, crypto::PublicKeyFromPem(pem));
  auto events = ReadWholeFile(options.dir / kEventsFile);
  if (!events.ok()) return NotFoundError("no " + std::string(kEventsFile) + " in " + options.dir.string());
  auto digests = ReadWholeFile(options.dir / kDigestsFile);
  ASSIGN_OR_RETURN(std::optional<RetentionMarker> marker, LoadRetentionMarker(options.dir, public_der));
  Verifier verifier(options, std::move(public_der), std::move(marker));
  verifier.Records(SplitLines(*events));
  verifier.Digests(digests.ok() ? SplitLines(*digests) : std::vector<std::string>{});
  return verifier.Report();
}

}  // namespace coffer::audit

#include "audit/export.h"

#include <zlib.h>

#include <fstream>
#include <map>

#include "audit/chain.h"
#include "audit/retention.h"
#include "audit/signing_key_store.h"

namespace coffer::audit {
namespace {

using nlohmann::json;

Status WriteGzip(const std::filesystem::path& path, const std::string& text) {
  std::error_code ec;
  std::filesystem::create_directories(path.parent_path(), ec);
  if (ec) return InternalError("cannot create " + path.parent_path().string());
  gzFile file = gzopen(path.c_str(), "wb9");
  if (file == nullptr) return InternalError("cannot write " + path.string());
  const int written = text.empty() ? 0 : gzwrite(file, text.data(), static_cast<unsigned>(text.size()));
  const int closed = gzclose(file);
  if (written != static_cast<int>(text.size()) || closed != Z_OK)
    return InternalError("cannot write " + path.string());
  return Status::Ok();
}

// "AWSLogs/<account>/CloudTrail/<region>/YYYY/MM/DD/<account>_CloudTrail_<region>_YYYYMMDDT0000Z_coffer.jsonl.gz"
std::string DayFile(const std::string& account, const std::string& region, const std::string& iso) {
  const std::string y = iso.substr(0, 4), m = iso.substr(5, 2), d = iso.substr(8, 2);
  return "AWSLogs/" + account + "/CloudTrail/" + region + "/" + y + "/" + m + "/" + d + "/" + account +
         "_CloudTrail_" + region + "_" + y + m + d + "T0000Z_coffer.jsonl.gz";
}

Status CopyChain(const std::filesystem::path& audit_dir, const std::filesystem::path& out) {
  std::error_code ec;
  std::filesystem::create_directories(out / "chain", ec);
  if (ec) return InternalError("cannot create " + (out / "chain").string());
  for (std::string_view name : {kEventsFile, kDigestsFile, kPublicKeyFile, kRetentionFile}) {
    auto text = ReadWholeFile(audit_dir / name);
    if (!text.ok()) continue;
    RETURN_IF_ERROR(WriteFileAtomically(out / "chain" / name, *text, 0600));
  }
  return Status::Ok();
}

}  // namespace

StatusOr<json> ExportAudit(const std::filesystem::path& audit_dir, const std::filesystem::path& out,
                           std::optional<TimePoint> from, std::optional<TimePoint> to) {
  std::ifstream in(audit_dir / kEventsFile);
  if (!in) return NotFoundError("no " + std::string(kEventsFile) + " in " + audit_dir.string());
  std::map<std::string, std::string> files;  // relative path -> JSON lines
  std::string line;
  std::uint64_t records = 0;
  while (std::getline(in, line)) {
    auto record = ParseRecord(line);
    if (!record.ok()) continue;
    const json& e = record->event;
    const std::string time = e.value("eventTime", "");
    auto t = ParseIsoTime(time);
    if (!t.ok() || (from && *t < *from) || (to && *t > *to)) continue;
    files[DayFile(e.value("recipientAccountId", "unknown"), e.value("awsRegion", "unknown"), time)] +=
        e.dump() + "\n";
    ++records;
  }
  json written = json::array();
  for (const auto& [relative, text] : files) {
    RETURN_IF_ERROR(WriteGzip(out / relative, text));
    written.push_back(relative);
  }
  auto digests = ReadWholeFile(audit_dir / kDigestsFile);
  const std::string digest_file = "AWSLogs/CloudTrail-Digest/coffer_digests.jsonl.gz";
  RETURN_IF_ERROR(WriteGzip(out / digest_file, digests.ok() ? *digests : ""));
  written.push_back(digest_file);
  RETURN_IF_ERROR(CopyChain(audit_dir, out));
  written.push_back("chain/");
  return json{{"files", written}, {"records", records}};
}

}  // namespace coffer::audit

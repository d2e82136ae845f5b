#include "server/root_key_migration.h"

#include <fcntl.h>
#include <unistd.h>

#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <vector>

#include "audit/chain.h"
#include "audit/signing_key_store.h"
#include "blobs/format.h"
#include "common/encoding.h"
#include "common/files.h"
#include "iam/identity_store.h"
#include "kms/key_record.h"
#include "rootkey/pkcs11_root_key.h"
#include "rootkey/rewrap.h"
#include "s3/service_key.h"

namespace coffer::server {
namespace {

using nlohmann::json;

constexpr std::size_t kBatch = 64;  // records per write transaction

// Draws "[#####.....] done/total" on one terminal line.
class Progress {
 public:
  Progress(std::ostream* out, std::size_t total) : out_(out), total_(total) {}
  void Step() {
    ++done_;
    if (out_ == nullptr) return;
    constexpr std::size_t kWidth = 40;
    const std::size_t filled = total_ == 0 ? kWidth : done_ * kWidth / total_;
    *out_ << "\rmigrate-root-key [" << std::string(filled, '#') << std::string(kWidth - filled, '.') << "] "
          << done_ << "/" << total_ << std::flush;
  }
  void Finish() {
    if (out_ != nullptr) *out_ << "\n" << std::flush;
  }

 private:
  std::ostream* out_;
  std::size_t total_;
  std::size_t done_ = 0;
};

// The new text of one stored record, or nullopt when nothing in it changed.
using RecordRewrap = std::function<StatusOr<std::optional<std::string>>(const store::Entry& entry,
                                                                        rootkey::Rewrapper& rewrap)>;

StatusOr<std::size_t> CountEntries(store::Store& store, std::string_view table) {
  ASSIGN_OR_RETURN(auto txn, store.BeginRead());
  std::size_t count = 0;
  std::string after;
  for (;;) {
    ASSIGN_OR_RETURN(auto entries, txn->Scan(table, "", after, 1024));
    count += entries.size();
    if (entries.size() < 1024) return count;
    after = entries.back().key;
  }
}

// Rewraps every record of `table`, kBatch records per committed transaction.
Status MigrateTable(store::Store& store, std::string_view table, const RecordRewrap& rewrite,
                    rootkey::Rewrapper& rewrap, Progress& progress) {
  std::string after;
  for (;;) {
    ASSIGN_OR_RETURN(auto txn, store.BeginWrite());
    ASSIGN_OR_RETURN(auto entries, txn->Scan(table, "", after, kBatch));
    for (const store::Entry& entry : entries) {
      ASSIGN_OR_RETURN(std::optional<std::string> updated, rewrite(entry, rewrap));
      if (updated) RETURN_IF_ERROR(txn->Put(table, entry.key, *updated));
      progress.Step();
    }
    RETURN_IF_ERROR(txn->Commit());
    if (entries.size() < kBatch) return Status::Ok();
    after = entries.back().key;
  }
}

StatusOr<std::optional<std::string>> RewrapKmsKey(const store::Entry& entry, rootkey::Rewrapper& rewrap) {
  ASSIGN_OR_RETURN(kms::KeyRecord record, kms::DecodeKeyRecord(entry.value));
  const std::string arn = record.Arn();
  bool changed = false;
  for (kms::KeyVersion& version : record.versions) {
    ASSIGN_OR_RETURN(auto moved, rewrap.Rewrap(version.wrapped, kms::MaterialAad(arn, version.id)));
    if (moved) version.wrapped = std::move(*moved);
    changed = changed || moved.has_value();
  }
  if (record.import && !record.import->wrapped_private_key.empty()) {
    ASSIGN_OR_RETURN(auto moved,
                     rewrap.Rewrap(record.import->wrapped_private_key, kms::ImportWrappingAad(arn)));
    if (moved) record.import->wrapped_private_key = std::move(*moved);
    changed = changed || moved.has_value();
  }
  if (!changed) return std::optional<std::string>();
  return std::optional<std::string>(kms::EncodeKeyRecord(record));
}

// One base64 field of a JSON record, rewrapped in place; true when it moved.
StatusOr<bool> RewrapJsonField(json& record, const char* field, const std::string& aad,
                               rootkey::Rewrapper& rewrap) {
  if (!record.contains(field)) return false;
  const auto wrapped = Base64Decode(record[field].get<std::string>());
  if (!wrapped) return InternalError(std::string("stored ") + field + " is corrupt");
  ASSIGN_OR_RETURN(auto moved, rewrap.Rewrap(*wrapped, aad));
  if (moved) record[field] = Base64Encode(*moved);
  return moved.has_value();
}

StatusOr<json> ParseJsonRecord(const store::Entry& entry) {
  json record = json::parse(entry.value, nullptr, false);
  if (record.is_discarded() || !record.is_object()) return InternalError("stored record is corrupt");
  return record;
}

StatusOr<std::optional<std::string>> RewrapAccessKey(const store::Entry& entry, rootkey::Rewrapper& rewrap) {
  ASSIGN_OR_RETURN(json record, ParseJsonRecord(entry));
  ASSIGN_OR_RETURN(bool moved,
                   RewrapJsonField(record, "wrapped_secret", iam::AccessKeySecretAad(entry.key), rewrap));
  if (!moved) return std::optional<std::string>();
  return std::optional<std::string>(record.dump());
}

StatusOr<std::optional<std::string>> RewrapSession(const store::Entry& entry, rootkey::Rewrapper& rewrap) {
  ASSIGN_OR_RETURN(json record, ParseJsonRecord(entry));
  ASSIGN_OR_RETURN(bool secret,
                   RewrapJsonField(record, "wrapped_secret", iam::SessionSecretAad(entry.key), rewrap));
  ASSIGN_OR_RETURN(bool token,
                   RewrapJsonField(record, "wrapped_token", iam::SessionTokenAad(entry.key), rewrap));
  if (!secret && !token) return std::optional<std::string>();
  return std::optional<std::string>(record.dump());
}

// An S3 service key version row (the "current" row holds no key).
StatusOr<std::optional<std::string>> RewrapS3ServiceKey(const store::Entry& entry,
                                                        rootkey::Rewrapper& rewrap) {
  ASSIGN_OR_RETURN(json record, ParseJsonRecord(entry));
  if (!record.contains("wrapped")) return std::optional<std::string>();
  if (!record.contains("version") || !record["version"].is_number_unsigned() ||
      entry.key != s3::ServiceKeyRowKey(record["version"].get<std::uint32_t>())) {
    return InternalError("stored S3 service key " + entry.key + " is corrupt");
  }
  const std::string aad = s3::ServiceKeyAad(record["version"].get<std::uint32_t>());
  ASSIGN_OR_RETURN(bool moved, RewrapJsonField(record, "wrapped", aad, rewrap));
  if (!moved) return std::optional<std::string>();
  return std::optional<std::string>(record.dump());
}

// The audit signing key lives in a file of its own, replaced atomically.
Status MigrateSigningKey(const std::filesystem::path& file, rootkey::Rewrapper& rewrap, Progress& progress) {
  std::error_code ec;
  if (!std::filesystem::exists(file, ec)) return Status::Ok();
  ASSIGN_OR_RETURN(std::string text, ReadWholeFile(file));
  json doc = json::parse(text, nullptr, false);
  if (doc.is_discarded() || !doc.is_object() || !doc.contains("wrapped")) {
    return InternalError("audit signing key file is malformed");
  }
  ASSIGN_OR_RETURN(bool moved,
                   RewrapJsonField(doc, "wrapped", std::string(audit::kSigningKeyWrapAad), rewrap));
  if (moved) RETURN_IF_ERROR(WriteFileAtomically(file, doc.dump(2) + "\n", 0600));
  progress.Step();
  return Status::Ok();
}

// The S3 blob files under `dir` (<2 hex>/<id>): each header's wrapped data key
// is rewrapped and the header, whose length does not change, is rewritten in
// place and synced. The header is the file's first bytes, within one sector.
std::vector<std::filesystem::path> BlobFiles(const std::filesystem::path& dir) {
  std::vector<std::filesystem::path> files;
  std::error_code ec;
  for (auto it = std::filesystem::recursive_directory_iterator(dir, ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    if (it->is_regular_file() && blobs::internal::IsBlobId(it->path().filename().string()) &&
        it->path().parent_path().filename() == it->path().filename().string().substr(0, 2)) {
      files.push_back(it->path());
    }
  }
  return files;
}

// Format 3 headers hold data keys wrapped under the S3 service key, which
// moves with the store's records: only v1 and v2 headers are rewritten.
Status MigrateBlob(const std::filesystem::path& file, rootkey::Rewrapper& rewrap) {
  const std::string id = file.filename().string();
  const int fd = ::open(file.c_str(), O_RDWR | O_CLOEXEC);
  if (fd < 0) return InternalError("cannot open blob " + id);
  Bytes start(blobs::internal::kMaxHeaderLen);
  const ssize_t got = ::pread(fd, start.data(), start.size(), 0);
  auto header = blobs::internal::ParseHeader(ByteView(start.data(), got < 0 ? 0 : got), id);
  if (header.ok() && header->version == blobs::internal::kVersion3) {
    ::close(fd);
    return Status::Ok();
  }
  auto moved = header.ok() ? rewrap.Rewrap(header->wrapped_key, blobs::internal::DataKeyAad(id, *header))
                           : StatusOr<std::optional<Bytes>>(header.status());
  Status st = moved.status();
  if (st.ok() && moved->has_value()) {
    const std::size_t old_len = blobs::internal::HeaderLen(*header);
    header->wrapped_key = std::move(**moved);
    const Bytes encoded = blobs::internal::EncodeHeader(*header);
    if (encoded.size() != old_len) {
      st = InternalError("blob " + id + ": the rewrapped header would change length");
    } else if (::pwrite(fd, encoded.data(), encoded.size(), 0) != static_cast<ssize_t>(encoded.size()) ||
               ::fsync(fd) != 0) {
      st = InternalError("cannot rewrite the header of blob " + id);
    }
  }
  ::close(fd);
  return st;
}

// The old key file's bytes are overwritten and synced before it is unlinked.
Status DestroyFile(const std::filesystem::path& path) {
  std::error_code ec;
  const auto size = std::filesystem::file_size(path, ec);
  if (ec) return Status::Ok();
  const int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return InternalError("cannot open " + path.string() + " to destroy it");
  const std::vector<char> zeros(size, 0);
  const bool written = ::write(fd, zeros.data(), zeros.size()) == static_cast<ssize_t>(zeros.size());
  const bool synced = ::fsync(fd) == 0;
  ::close(fd);
  if (!written || !synced) return InternalError("cannot overwrite " + path.string());
  if (!std::filesystem::remove(path, ec)) return InternalError("cannot remove " + path.string());
  return Status::Ok();
}

StatusOr<std::unique_ptr<rootkey::RootKey>> OpenTarget(const CoreOptions& from, const std::string& to,
                                                       RandomSource& random) {
  if (to == from.root_key_provider)
    return ValidationError("--to names the provider the data directory uses already");
  if (to == "pkcs11") return rootkey::OpenPkcs11RootKey(from.pkcs11, random);
  if (to == "file") return rootkey::LoadOrCreateFileRootKey(from.data_dir / "root.key", random);
  return ValidationError("--to must be file or pkcs11");
}

}  // namespace

StatusOr<MigrationReport> MigrateRootKey(const CoreOptions& from, const std::string& to,
                                         std::ostream* progress) {
  std::error_code ec;
  if (from.root_key_provider == "file" && !std::filesystem::exists(from.data_dir / "root.key", ec)) {
    return ValidationError("no root key file in " + from.data_dir.string() + ": nothing to migrate from");
  }
  if (to != "file" && to != "pkcs11") return ValidationError("--to must be file or pkcs11");
  ASSIGN_OR_RETURN(std::unique_ptr<Core> core, OpenCore(from));
  ASSIGN_OR_RETURN(std::unique_ptr<rootkey::RootKey> target, OpenTarget(from, to, core->random));
  rootkey::Rewrapper rewrap(*core->root_key, *target);
  RETURN_IF_ERROR(rewrap.Check());

  ASSIGN_OR_RETURN(std::size_t keys, CountEntries(*core->store, kms::kKeysTable));
  ASSIGN_OR_RETURN(std::size_t access_keys, CountEntries(*core->store, iam::kAccessKeysTable));
  ASSIGN_OR_RETURN(std::size_t sessions, CountEntries(*core->store, iam::kSessionsTable));
  ASSIGN_OR_RETURN(std::size_t s3_service_keys, CountEntries(*core->store, s3::kServiceKeysTable));
  const auto signing_key = from.data_dir / "audit" / audit::kSigningKeyFile;
  const std::size_t files = std::filesystem::exists(signing_key, ec) ? 1 : 0;
  const std::vector<std::filesystem::path> blob_files = BlobFiles(from.data_dir / "s3" / "blobs");
  Progress bar(progress, keys + access_keys + sessions + s3_service_keys + files + blob_files.size());
  RETURN_IF_ERROR(MigrateTable(*core->store, kms::kKeysTable, RewrapKmsKey, rewrap, bar));
  RETURN_IF_ERROR(MigrateTable(*core->store, iam::kAccessKeysTable, RewrapAccessKey, rewrap, bar));
  RETURN_IF_ERROR(MigrateTable(*core->store, iam::kSessionsTable, RewrapSession, rewrap, bar));
  RETURN_IF_ERROR(MigrateTable(*core->store, s3::kServiceKeysTable, RewrapS3ServiceKey, rewrap, bar));
  RETURN_IF_ERROR(MigrateSigningKey(signing_key, rewrap, bar));
  for (const auto& blob : blob_files) {
    RETURN_IF_ERROR(MigrateBlob(blob, rewrap));
    bar.Step();
  }
  bar.Finish();

  if (from.root_key_provider == "file") RETURN_IF_ERROR(DestroyFile(from.data_dir / "root.key"));
  if (from.root_key_provider == "passphrase") RETURN_IF_ERROR(DestroyFile(from.data_dir / "root.salt"));
  return MigrationReport{rewrap.moved(), rewrap.already_moved()};
}

}  // namespace coffer::server

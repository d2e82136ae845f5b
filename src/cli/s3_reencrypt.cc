#include "cli/s3_reencrypt.h"

#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <pugixml.hpp>
#include <sstream>

#include "auth/canonical.h"
#include "auth/sigv4.h"
#include "coffer/kms_client.h"
#include "common/clock.h"
#include "common/encoding.h"
#include "crypto/crypto.h"
#include "envelope/kms/endpoint.h"

namespace coffer::cli {
namespace {

// One signed S3 request over the envelope module's Beast transport.
class S3Client {
 public:
  S3Client(envelope::KmsClientOptions options, envelope::Endpoint endpoint,
           std::unique_ptr<envelope::HttpTransport> transport)
      : options_(std::move(options)), endpoint_(std::move(endpoint)), transport_(std::move(transport)) {}

  StatusOr<envelope::HttpResponse> Send(const std::string& method, const std::string& target,
                                        std::vector<auth::Header> headers) {
    headers.emplace_back("Host", endpoint_.host_header);
    const crypto::Sha256Digest empty = crypto::Sha256({});
    headers.emplace_back("x-amz-content-sha256", HexEncode(ByteView(empty.data(), empty.size())));
    auth::HttpRequest request{method, target, std::move(headers), ""};
    RETURN_IF_ERROR(
        auth::SignRequest(request, {options_.access_key_id, options_.secret_access_key,
                                    options_.session_token, options_.region, "s3", clock_.Now(), false}));
    return transport_->Send({request.method, request.target, request.headers, request.body});
  }

 private:
  envelope::KmsClientOptions options_;
  envelope::Endpoint endpoint_;
  std::unique_ptr<envelope::HttpTransport> transport_;
  SystemClock clock_;
};

std::string Encoded(std::string_view text, bool keep_slash) {
  std::string out;
  auth::internal::AppendUriEncoded(text, keep_slash, out);
  return out;
}

std::string ErrorOf(const envelope::HttpResponse& r) {
  pugi::xml_document doc;
  if (doc.load_buffer(r.body.data(), r.body.size())) {
    const std::string code = doc.child("Error").child_value("Code");
    if (!code.empty()) return code + ": " + doc.child("Error").child_value("Message");
  }
  return "HTTP " + std::to_string(r.status);
}

struct Page {
  std::vector<std::string> keys;
  std::string next_token;
};

StatusOr<Page> ListPage(S3Client& s3, const ReencryptArgs& args, const std::string& start_after,
                        const std::string& token) {
  std::string target = "/" + Encoded(args.bucket, false) + "?list-type=2";
  if (!token.empty()) target += "&continuation-token=" + Encoded(token, false);
  if (!args.prefix.empty()) target += "&prefix=" + Encoded(args.prefix, false);
  if (!start_after.empty() && token.empty()) target += "&start-after=" + Encoded(start_after, false);
  ASSIGN_OR_RETURN(envelope::HttpResponse r, s3.Send("GET", target, {}));
  if (r.status != 200) return Status(ErrorCode::kValidation, "ListObjectsV2: " + ErrorOf(r));
  pugi::xml_document doc;
  if (!doc.load_buffer(r.body.data(), r.body.size())) return InternalError("ListObjectsV2: unreadable XML");
  Page page;
  const pugi::xml_node root = doc.child("ListBucketResult");
  for (pugi::xml_node c = root.child("Contents"); c; c = c.next_sibling("Contents")) {
    page.keys.emplace_back(c.child_value("Key"));
  }
  if (std::string(root.child_value("IsTruncated")) == "true")
    page.next_token = root.child_value("NextContinuationToken");
  return page;
}

struct Outcome {
  std::string status;  // "reencrypted", "skipped", "failed"
  std::string detail;
};

Outcome Reencrypt(S3Client& s3, const ReencryptArgs& args, const std::string& key) {
  std::vector<auth::Header> headers = {
      {"x-amz-copy-source", "/" + Encoded(args.bucket, false) + "/" + Encoded(key, true)},
      {"x-amz-metadata-directive", "COPY"},
      {"x-amz-server-side-encryption", args.to}};
  if (!args.key.empty()) headers.emplace_back("x-amz-server-side-encryption-aws-kms-key-id", args.key);
  auto r = s3.Send("PUT", "/" + Encoded(args.bucket, false) + "/" + Encoded(key, true), headers);
  if (!r.ok()) return {"failed", r.status().message()};
  if (r->status != 200) return {"failed", ErrorOf(*r)};
  return {"reencrypted", ""};
}

Status SaveState(const std::string& path, const std::string& last_key) {
  if (path.empty()) return Status::Ok();
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << nlohmann::json{{"last_key", last_key}}.dump() << "\n";
    out.flush();
    if (!out) return InternalError("cannot write " + tmp);
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) return InternalError("cannot rename " + tmp + ": " + ec.message());
  return Status::Ok();
}

std::string LoadState(const std::string& path) {
  if (path.empty()) return {};
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  auto parsed = nlohmann::json::parse(text.str(), nullptr, false);
  if (parsed.is_discarded() || !parsed.is_object()) return {};
  return parsed.value("last_key", "");
}

StatusOr<std::unique_ptr<S3Client>> Connect(const ReencryptArgs& args) {
  envelope::KmsClientOptions wanted;
  wanted.endpoint = args.endpoint;
  wanted.region = args.region;
  wanted.profile = args.profile;
  wanted.ca_bundle = args.ca_bundle;
  ASSIGN_OR_RETURN(envelope::KmsClientOptions options,
                   envelope::ResolveKmsConfig(wanted, envelope::ProcessEnvironment()));
  ASSIGN_OR_RETURN(envelope::Endpoint endpoint, envelope::ParseEndpoint(args.endpoint));
  ASSIGN_OR_RETURN(auto transport, envelope::NewBeastTransport(options));
  return std::make_unique<S3Client>(options, endpoint, std::move(transport));
}

}  // namespace

int RunS3Reencrypt(const ReencryptArgs& args) {
  if (args.to != "AES256" && args.to != "aws:kms" && args.to != "aws:kms:dsse") {
    std::cerr << "coffer s3 reencrypt: --to must be AES256, aws:kms or aws:kms:dsse\n";
    return 1;
  }
  auto s3 = Connect(args);
  if (!s3.ok()) {
    std::cerr << "coffer s3 reencrypt: " << s3.status().message() << "\n";
    return 1;
  }
  std::ofstream report;
  if (!args.report_file.empty()) report.open(args.report_file, std::ios::app);
  const bool tty = isatty(STDERR_FILENO) != 0;
  std::string last = LoadState(args.state_file);
  std::string token;
  int done = 0;
  int failed = 0;
  do {
    auto page = ListPage(**s3, args, last, token);
    if (!page.ok()) {
      std::cerr << "coffer s3 reencrypt: " << page.status().message() << "\n";
      return 1;
    }
    for (const std::string& key : page->keys) {
      const Outcome outcome = Reencrypt(**s3, args, key);
      if (report.is_open()) {
        report << nlohmann::json{{"key", key},
                                 {"status", outcome.status},
                                 {"to", args.to},
                                 {"kms_key", args.key},
                                 {"error", outcome.detail}}
                      .dump()
               << "\n";
      }
      if (outcome.status == "failed") {
        ++failed;
        std::cerr << (tty ? "\n" : "") << "failed: " << key << ": " << outcome.detail << "\n";
        continue;
      }
      ++done;
      last = key;
      if (Status st = SaveState(args.state_file, last); !st.ok()) {
        std::cerr << "coffer s3 reencrypt: " << st.message() << "\n";
        return 1;
      }
      if (tty) std::cerr << "\rre-encrypted " << done << " objects, " << failed << " failed" << std::flush;
    }
    token = page->next_token;
  } while (!token.empty());
  if (tty) std::cerr << "\n";
  std::cout << nlohmann::json{{"reencrypted", done}, {"failed", failed}}.dump() << "\n";
  return failed == 0 ? 0 : 1;
}

}  // namespace coffer::cli

// Where the KMS client's endpoint, region and credentials come from: explicit
// options, the AWS_* environment, then the shared credentials/config files
// (INI: "[name]" in credentials, "[profile name]" or "[default]" in config).
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "coffer/kms_client.h"

namespace coffer::envelope {
namespace {

using IniSection = std::map<std::string, std::string>;

std::string Trim(const std::string& text) {
  const auto begin = text.find_first_not_of(" \t\r");
  if (begin == std::string::npos) return "";
  return text.substr(begin, text.find_last_not_of(" \t\r") - begin + 1);
}

// The key = value pairs of one section; empty when the file or section is missing.
IniSection ReadIniSection(const std::string& path, const std::string& section) {
  IniSection out;
  std::ifstream in(path);
  std::string line, current;
  while (std::getline(in, line)) {
    line = Trim(line);
    if (line.empty() || line[0] == '#' || line[0] == ';') continue;
    if (line.front() == '[' && line.back() == ']') {
      current = Trim(line.substr(1, line.size() - 2));
      continue;
    }
    const auto eq = line.find('=');
    if (current == section && eq != std::string::npos)
      out[Trim(line.substr(0, eq))] = Trim(line.substr(eq + 1));
  }
  return out;
}

std::string EnvOr(const EnvLookup& env, const char* name, const std::string& fallback) {
  auto value = env(name);
  return value && !value->empty() ? *value : fallback;
}

std::string HomeFile(const EnvLookup& env, const char* override_var, const char* relative) {
  if (auto path = env(override_var); path && !path->empty()) return *path;
  return EnvOr(env, "HOME", ".") + "/.aws/" + relative;
}

void FirstOf(std::string& field, std::initializer_list<std::string> candidates) {
  if (!field.empty()) return;
  for (const std::string& candidate : candidates) {
    if (!candidate.empty()) {
      field = candidate;
      return;
    }
  }
}

void ResolveCredentials(KmsClientOptions& o, const EnvLookup& env) {
  if (!o.access_key_id.empty() && !o.secret_access_key.empty()) return;
  const std::string env_id = EnvOr(env, "AWS_ACCESS_KEY_ID", "");
  const std::string env_secret = EnvOr(env, "AWS_SECRET_ACCESS_KEY", "");
  if (!env_id.empty() && !env_secret.empty()) {
    o.access_key_id = env_id;
    o.secret_access_key = env_secret;
    if (o.session_token.empty()) o.session_token = EnvOr(env, "AWS_SESSION_TOKEN", "");
    return;
  }
  IniSection creds = ReadIniSection(HomeFile(env, "AWS_SHARED_CREDENTIALS_FILE", "credentials"), o.profile);
  o.access_key_id = creds["aws_access_key_id"];
  o.secret_access_key = creds["aws_secret_access_key"];
  if (o.session_token.empty()) o.session_token = creds["aws_session_token"];
}

}  // namespace

EnvLookup ProcessEnvironment() {
  return [](const std::string& name) -> std::optional<std::string> {
    const char* value = std::getenv(name.c_str());  // NOLINT(concurrency-mt-unsafe): read-only use
    if (value == nullptr) return std::nullopt;
    return std::string(value);
  };
}

StatusOr<KmsClientOptions> ResolveKmsConfig(const KmsClientOptions& explicit_options, const EnvLookup& env) {
  KmsClientOptions o = explicit_options;
  FirstOf(o.profile, {EnvOr(env, "AWS_PROFILE", ""), "default"});
  const std::string config_section = o.profile == "default" ? "default" : "profile " + o.profile;
  IniSection config = ReadIniSection(HomeFile(env, "AWS_CONFIG_FILE", "config"), config_section);
  FirstOf(o.region, {EnvOr(env, "AWS_REGION", ""), EnvOr(env, "AWS_DEFAULT_REGION", ""), config["region"]});
  if (o.region.empty()) return ValidationError("no AWS region: set --region, AWS_REGION or a profile region");
  FirstOf(o.endpoint, {EnvOr(env, "AWS_ENDPOINT_URL_KMS", ""), EnvOr(env, "AWS_ENDPOINT_URL", ""),
                       "https://kms." + o.region + ".amazonaws.com"});
  FirstOf(o.ca_bundle, {EnvOr(env, "AWS_CA_BUNDLE", "")});
  ResolveCredentials(o, env);
  if (o.access_key_id.empty() || o.secret_access_key.empty()) {
    return ValidationError("no AWS credentials: set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or profile '" +
                           o.profile + "' in the shared credentials file");
  }
  return o;
}

}  // namespace coffer::envelope

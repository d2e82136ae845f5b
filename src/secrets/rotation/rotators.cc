// The rotators file and the built-in rotators' shared steps.
#include <cstdlib>
#include <fstream>

#include "common/json_parse.h"
#include "secrets/errors.h"
#include "secrets/rotation/postgres_rotator.h"
#include "secrets/rotation/rotator.h"
#include "secrets/rotation/webhook_rotator.h"

namespace coffer::secrets {

StatusOr<std::vector<RotatorConfig>> LoadRotatorConfig(const std::string& path) {
  std::ifstream in(path);
  if (!in) return InternalError("cannot read the rotators file " + path);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::optional<nlohmann::json> j = ParseJson(text);
  if (!j || !j->is_object() || !j->contains("functions") || !j->at("functions").is_array()) {
    return InternalError("the rotators file " + path + " must be {\"functions\": [...]}");
  }
  std::vector<RotatorConfig> out;
  for (const auto& f : j->at("functions")) {
    RotatorConfig c;
    if (!f.is_object() || !f.contains("name") || !f.contains("type")) {
      return InternalError("each rotator in " + path + " needs a name and a type");
    }
    c.name = f.at("name").get<std::string>();
    c.account = f.value("account", "");
    c.type = f.at("type").get<std::string>();
    if (c.type == "webhook") {
      c.url = f.value("url", "");
      if (c.url.empty()) return InternalError("rotator " + c.name + ": a webhook needs a url");
      const std::string env = f.value("hmac_key_env", "");
      if (env.empty()) return InternalError("rotator " + c.name + ": a webhook needs hmac_key_env");
      const char* key = std::getenv(env.c_str());
      if (key == nullptr || *key == '\0') {
        return InternalError("rotator " + c.name + ": the environment variable " + env + " is not set");
      }
      c.hmac_key = key;
    } else if (c.type != "postgresql-single-user" && c.type != "postgresql-alternating-users") {
      return InternalError("rotator " + c.name + ": unknown type " + c.type +
                           " (postgresql-single-user | postgresql-alternating-users | webhook)");
    }
    out.push_back(std::move(c));
  }
  return out;
}

std::unique_ptr<Rotator> MakeRotator(const RotatorConfig& config, SecretsService& service) {
  if (config.type == "webhook") return std::make_unique<WebhookRotator>(config.url, config.hmac_key);
  return std::make_unique<PostgresRotator>(service, config.type == "postgresql-alternating-users");
}

}  // namespace coffer::secrets

#include "store/migration_steps.h"

namespace coffer::store {

Status CheckNotNewer(int version, int latest) {
  if (version <= latest) {
    return Status::Ok();
  }
  return InternalError("database schema version " + std::to_string(version) +
                       " is newer than this coffer binary supports (" + std::to_string(latest) +
                       "); upgrade coffer or restore a matching backup");
}

StatusOr<bool> StepNeeded(int current, const Migration& step, int latest, std::string_view store) {
  RETURN_IF_ERROR(CheckNotNewer(current, latest));
  if (current >= step.version) {
    return false;
  }
  if (current != step.version - 1) {
    return InternalError(std::string(store) + " schema migration " + std::to_string(step.version) +
                         " found version " + std::to_string(current));
  }
  return true;
}

}  // namespace coffer::store

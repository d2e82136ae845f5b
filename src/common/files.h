// Whole-file reads and crash-safe whole-file writes.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "common/status_or.h"

namespace coffer {

// kNotFound when the file cannot be opened.
StatusOr<std::string> ReadWholeFile(const std::filesystem::path& path);
// Writes `text` to `path` with `mode` via a temp file, fsync and rename, so
// readers see either the old file or the whole new one.
Status WriteFileAtomically(const std::filesystem::path& path, std::string_view text, unsigned mode);

}  // namespace coffer

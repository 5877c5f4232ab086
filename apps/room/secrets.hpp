#pragma once

#include <string>

namespace sudachi::app {

// Returns `configured` when set. Otherwise reads <data_dir>/<file_name>, creating it with a
// fresh random secret (mode 0600) on first start, so an embedded server needs no set-up and
// keeps issued tokens valid across restarts. Sets `generated` when a new secret was written.
// Throws std::runtime_error when the file can't be read or written (start-up only).
std::string load_or_create_secret(const std::string& configured, const std::string& data_dir,
                                  const std::string& file_name, bool& from_file, bool& generated);

}  // namespace sudachi::app

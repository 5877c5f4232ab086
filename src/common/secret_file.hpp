#pragma once

#include <string>

namespace sudachi {

struct LoadedSecret {
  enum class Source { configured, file, generated };
  std::string secret;
  Source source = Source::configured;
};

// A server secret: `configured` when given; otherwise <data_dir>/<file_name>, created with a
// fresh random secret (mode 0600) when absent, so an embedded server needs no set-up and keeps
// its tokens valid across restarts. The file is written whole under a temporary name and then
// linked into place, so servers starting at once on one data dir (the room server and the
// relay share relay-secret) agree on one secret and never read a partial one.
// Throws std::runtime_error when the file can't be read or written, or holds a secret under
// 32 bytes (start-up only).
LoadedSecret load_or_create_secret(const std::string& configured, const std::string& data_dir,
                                   const std::string& file_name);

}  // namespace sudachi

#pragma once

#include <string>

namespace sudachi::app {

// The relay secret text: `configured` when given; else <data_dir>/relay-secret, which an
// embedded sudachi-room creates in the same data dir, or which this creates (mode 0600, O_EXCL
// so that two servers starting at once agree on one secret). Sets `generated` when written.
// Throws std::runtime_error when the file can't be read or written (start-up only).
std::string load_or_create_relay_secret(const std::string& configured, const std::string& data_dir, bool& generated);

}  // namespace sudachi::app

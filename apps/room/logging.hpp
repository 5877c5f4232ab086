#pragma once

#include <string>

namespace sudachi::app {

// Structured logs on stderr: one JSON object per line ({"ts","level","msg",...}) for log
// collectors, or plain text for people. Throws std::invalid_argument on an unknown level.
void setup_logging(const std::string& level, const std::string& format);

}  // namespace sudachi::app

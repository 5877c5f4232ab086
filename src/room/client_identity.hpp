#pragma once

#include <string>

namespace sudachi::room {

// Who is on the other end of a connection, established from the JWT at CONNECT.
struct ClientIdentity {
  std::string client_id;        // JWT sub
  std::string username;         // JWT "name" claim, or a name derived from the id
  std::string platform;         // JWT "platform" claim, or "unknown"
  std::string sudachi_version;  // JWT "ver" claim, or "unknown"
  std::string remote_ip;
};

}  // namespace sudachi::room

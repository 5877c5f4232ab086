#pragma once

#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace sudachi::transport {

// A plain HTTP request as the transport hands it to the application's REST routes, and the
// response the routes hand back. Keeps Beast out of the application.
struct ApiRequest {
  std::string method;                                      // "GET", "POST", ...
  std::string path;                                        // decoded path without the query
  std::vector<std::pair<std::string, std::string>> query;  // decoded, in order
  std::string content_type;
  std::string body;
  std::string remote_ip;

  const std::string* query_param(const std::string& name) const {
    for (const auto& [k, v] : query) {
      if (k == name) return &v;
    }
    return nullptr;
  }
};

struct ApiResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
};

using ApiRespond = std::function<void(ApiResponse)>;

// The application's HTTP routes outside /socket.io/. handle() returns false when no route
// matches (the transport answers 404); otherwise it calls `respond` exactly once, from any
// thread.
class HttpApi {
 public:
  virtual ~HttpApi() = default;
  virtual bool handle(ApiRequest request, ApiRespond respond) = 0;
};

}  // namespace sudachi::transport

#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sudachi::transport {

// One HTTP/1.1 response as the server writes it. Serialised by hand rather than through
// Beast's serializer: the server only ever sends small, complete bodies, and writing them as
// one buffer keeps a response to one write.
struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // besides the ones below
  bool close = false;  // Connection: close, whatever the request asked
};

struct ResponseFraming {
  bool head = false;       // the request was HEAD: headers as for GET, no body (RFC 9110 §9.3.2)
  bool keep_alive = true;  // the request allows reusing the connection
  bool http10 = false;
};

// Status line, Server, Content-Type, Content-Length, Connection and the extra headers, then
// the body unless `head`. Header values are written as given: callers never put client bytes
// in them unchecked (CR/LF are replaced by spaces as a last defence).
std::string serialize(const HttpResponse& response, const ResponseFraming& framing);

std::string_view reason_phrase(int status);

}  // namespace sudachi::transport

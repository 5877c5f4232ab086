#include "transport/http_response.hpp"

namespace sudachi::transport {

namespace {

void append_header_value(std::string& out, std::string_view value) {
  for (char c : value) out.push_back(c == '\r' || c == '\n' ? ' ' : c);
}

}  // namespace

std::string_view reason_phrase(int status) {
  switch (status) {
    case 100:
      return "Continue";
    case 101:
      return "Switching Protocols";
    case 200:
      return "OK";
    case 201:
      return "Created";
    case 204:
      return "No Content";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 408:
      return "Request Timeout";
    case 409:
      return "Conflict";
    case 413:
      return "Content Too Large";
    case 414:
      return "URI Too Long";
    case 415:
      return "Unsupported Media Type";
    case 426:
      return "Upgrade Required";
    case 429:
      return "Too Many Requests";
    case 431:
      return "Request Header Fields Too Large";
    case 500:
      return "Internal Server Error";
    case 503:
      return "Service Unavailable";
    default:
      return "Unknown";
  }
}

std::string serialize(const HttpResponse& response, const ResponseFraming& framing) {
  const bool keep_alive = framing.keep_alive && !response.close;
  std::string out;
  out.reserve(160 + response.body.size());
  out.append(framing.http10 ? "HTTP/1.0 " : "HTTP/1.1 ");
  out.append(std::to_string(response.status));
  out.push_back(' ');
  out.append(reason_phrase(response.status));
  out.append("\r\nServer: sudachi-room\r\n");
  const bool no_body = response.status == 204 || response.status == 304 || response.status < 200;
  if (!no_body) {
    out.append("Content-Type: ");
    append_header_value(out, response.content_type);
    out.append("\r\nContent-Length: ");
    out.append(std::to_string(response.body.size()));
    out.append("\r\n");
  }
  for (const auto& [name, value] : response.headers) {
    append_header_value(out, name);
    out.append(": ");
    append_header_value(out, value);
    out.append("\r\n");
  }
  if (!keep_alive) {
    out.append("Connection: close\r\n");
  } else if (framing.http10) {
    out.append("Connection: keep-alive\r\n");
  }
  out.append("\r\n");
  if (!framing.head && !no_body) out.append(response.body);
  return out;
}

}  // namespace sudachi::transport

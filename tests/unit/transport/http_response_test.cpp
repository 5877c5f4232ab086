#include "transport/http_response.hpp"

#include <gtest/gtest.h>

#include <string>

namespace sudachi::transport {
namespace {

HttpResponse health() {
  return HttpResponse{200, "application/json", R"({"status":"ok"})", {}, false};
}

std::string head_of(const std::string& wire) {
  const auto end = wire.find("\r\n\r\n");
  EXPECT_NE(end, std::string::npos) << wire;
  return wire.substr(0, end + 4);
}

TEST(HttpResponse, GetHasHeadersAndBody) {
  const std::string wire = serialize(health(), ResponseFraming{});
  EXPECT_TRUE(wire.starts_with("HTTP/1.1 200 OK\r\n")) << wire;
  EXPECT_NE(wire.find("\r\nContent-Type: application/json\r\n"), std::string::npos) << wire;
  EXPECT_NE(wire.find("\r\nContent-Length: 15\r\n"), std::string::npos) << wire;
  EXPECT_EQ(wire.find("Connection:"), std::string::npos) << wire;  // HTTP/1.1 keeps alive
  EXPECT_TRUE(wire.ends_with("\r\n\r\n{\"status\":\"ok\"}")) << wire;
  EXPECT_EQ(wire.size(), head_of(wire).size() + 15);
}

TEST(HttpResponse, HeadHasTheSameHeadersAndNoBody) {
  const std::string get = serialize(health(), ResponseFraming{});
  const std::string head = serialize(health(), ResponseFraming{.head = true});
  // RFC 9110 §9.3.2: the Content-Length a GET would have, and not one byte after the headers
  // (a keep-alive client would read it as the start of the next response).
  EXPECT_NE(head.find("\r\nContent-Length: 15\r\n"), std::string::npos) << head;
  EXPECT_TRUE(head.ends_with("\r\n\r\n")) << head;
  EXPECT_EQ(head, head_of(get));
  EXPECT_EQ(head.find("status"), std::string::npos) << head;
}

TEST(HttpResponse, HeadOfAnErrorAndOfALargeBody) {
  const HttpResponse big{200, "text/plain", std::string(100'000, 'x'), {}, false};
  const std::string head = serialize(big, ResponseFraming{.head = true});
  EXPECT_NE(head.find("\r\nContent-Length: 100000\r\n"), std::string::npos) << head;
  EXPECT_LT(head.size(), 300u);
  const HttpResponse missing{404, "application/json", R"({"error":{}})", {}, true};
  const std::string h404 = serialize(missing, ResponseFraming{.head = true});
  EXPECT_TRUE(h404.starts_with("HTTP/1.1 404 Not Found\r\n")) << h404;
  EXPECT_NE(h404.find("\r\nContent-Length: 12\r\n"), std::string::npos) << h404;
  EXPECT_NE(h404.find("\r\nConnection: close\r\n"), std::string::npos) << h404;
  EXPECT_TRUE(h404.ends_with("\r\n\r\n")) << h404;
}

TEST(HttpResponse, NoContentHasNeitherBodyNorLength) {
  const HttpResponse r{204, "text/plain", "ignored", {{"Access-Control-Max-Age", "600"}}, false};
  const std::string wire = serialize(r, ResponseFraming{});
  EXPECT_TRUE(wire.starts_with("HTTP/1.1 204 No Content\r\n")) << wire;
  EXPECT_EQ(wire.find("Content-Length"), std::string::npos) << wire;
  EXPECT_EQ(wire.find("Content-Type"), std::string::npos) << wire;
  EXPECT_NE(wire.find("\r\nAccess-Control-Max-Age: 600\r\n"), std::string::npos) << wire;
  EXPECT_TRUE(wire.ends_with("\r\n\r\n")) << wire;
  EXPECT_EQ(wire.find("ignored"), std::string::npos) << wire;
}

TEST(HttpResponse, ConnectionHeader) {
  HttpResponse closing = health();
  closing.close = true;
  EXPECT_NE(serialize(closing, ResponseFraming{}).find("\r\nConnection: close\r\n"),
            std::string::npos);
  EXPECT_NE(
      serialize(health(), ResponseFraming{.keep_alive = false}).find("\r\nConnection: close\r\n"),
      std::string::npos);
  const std::string http10 =
      serialize(health(), ResponseFraming{.keep_alive = true, .http10 = true});
  EXPECT_TRUE(http10.starts_with("HTTP/1.0 200 OK\r\n")) << http10;
  EXPECT_NE(http10.find("\r\nConnection: keep-alive\r\n"), std::string::npos) << http10;
  const std::string http10_close =
      serialize(health(), ResponseFraming{.keep_alive = false, .http10 = true});
  EXPECT_NE(http10_close.find("\r\nConnection: close\r\n"), std::string::npos) << http10_close;
  EXPECT_EQ(http10_close.find("keep-alive"), std::string::npos) << http10_close;
}

TEST(HttpResponse, ExtraHeadersInOrder) {
  HttpResponse r{429, "application/json", "{}", {{"Retry-After", "7"}, {"Vary", "Origin"}}, false};
  const std::string wire = serialize(r, ResponseFraming{});
  EXPECT_TRUE(wire.starts_with("HTTP/1.1 429 Too Many Requests\r\n")) << wire;
  const auto retry = wire.find("\r\nRetry-After: 7\r\n");
  const auto vary = wire.find("\r\nVary: Origin\r\n");
  ASSERT_NE(retry, std::string::npos) << wire;
  ASSERT_NE(vary, std::string::npos) << wire;
  EXPECT_LT(retry, vary);
  EXPECT_LT(vary, wire.find("\r\n\r\n"));
}

TEST(HttpResponse, LineBreaksInHeaderValuesCannotInjectHeaders) {
  HttpResponse r = health();
  r.content_type = "text/plain\r\nSet-Cookie: a=b";
  r.headers.emplace_back("Access-Control-Allow-Origin", "https://a.example\r\n\r\n<html>");
  r.headers.emplace_back("X-Na\nme", "v");
  const std::string wire = serialize(r, ResponseFraming{});
  EXPECT_EQ(wire.find("\r\nSet-Cookie"), std::string::npos) << wire;
  EXPECT_EQ(wire.find("\n<html>"), std::string::npos) << wire;
  EXPECT_NE(wire.find("Content-Type: text/plain  Set-Cookie: a=b\r\n"), std::string::npos) << wire;
  EXPECT_NE(wire.find("X-Na me: v\r\n"), std::string::npos) << wire;
  // Exactly one blank line: the end of the headers.
  EXPECT_EQ(wire.find("\r\n\r\n"), wire.rfind("\r\n\r\n"));
}

TEST(HttpResponse, ReasonPhrases) {
  EXPECT_EQ(reason_phrase(400), "Bad Request");
  EXPECT_EQ(reason_phrase(403), "Forbidden");
  EXPECT_EQ(reason_phrase(413), "Content Too Large");
  EXPECT_EQ(reason_phrase(414), "URI Too Long");
  EXPECT_EQ(reason_phrase(426), "Upgrade Required");
  EXPECT_EQ(reason_phrase(431), "Request Header Fields Too Large");
  EXPECT_EQ(reason_phrase(503), "Service Unavailable");
  EXPECT_EQ(reason_phrase(299), "Unknown");
  const std::string wire =
      serialize(HttpResponse{431, "application/json", "{}", {}, true}, ResponseFraming{});
  EXPECT_TRUE(wire.starts_with("HTTP/1.1 431 Request Header Fields Too Large\r\n")) << wire;
}

}  // namespace
}  // namespace sudachi::transport

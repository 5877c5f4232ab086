#include "client/signaling/server_url.hpp"

#include <gtest/gtest.h>

namespace sudachi::client {
namespace {

TEST(ServerUrl, SchemesPickTlsAndDefaultPorts) {
  auto http = parse_server_url("http://rooms.example.org");
  ASSERT_TRUE(http);
  EXPECT_FALSE(http->tls);
  EXPECT_EQ(http->port, 80);
  EXPECT_EQ(http->host, "rooms.example.org");

  auto wss = parse_server_url("WSS://Rooms.Example.org");
  ASSERT_TRUE(wss);
  EXPECT_TRUE(wss->tls);
  EXPECT_EQ(wss->port, 443);
  EXPECT_EQ(wss->host, "rooms.example.org");  // host names are case-insensitive

  auto ws = parse_server_url("ws://127.0.0.1:8080");
  ASSERT_TRUE(ws);
  EXPECT_FALSE(ws->tls);
  EXPECT_EQ(ws->port, 8080);

  auto https = parse_server_url("https://h:8443");
  ASSERT_TRUE(https);
  EXPECT_TRUE(https->tls);
  EXPECT_EQ(https->port, 8443);
}

TEST(ServerUrl, BareHostPortIsHttp) {
  auto url = parse_server_url("  localhost:9000 ");
  ASSERT_TRUE(url);
  EXPECT_FALSE(url->tls);
  EXPECT_EQ(url->host, "localhost");
  EXPECT_EQ(url->port, 9000);
  EXPECT_EQ(url->to_string(), "http://localhost:9000");
}

TEST(ServerUrl, Ipv6LiteralsKeepTheirBracketsOutOfTheHost) {
  auto url = parse_server_url("http://[::1]:8080/");
  ASSERT_TRUE(url);
  EXPECT_EQ(url->host, "::1");
  EXPECT_EQ(url->port, 8080);
  EXPECT_EQ(url->host_header(), "[::1]:8080");
  EXPECT_EQ(url->to_string(), "http://[::1]:8080");
}

TEST(ServerUrl, BasePathPrefixesBothRoutes) {
  auto url = parse_server_url("https://example.org/mp/");
  ASSERT_TRUE(url);
  EXPECT_EQ(url->base_path, "/mp");
  EXPECT_EQ(url->socketio_target(), "/mp/socket.io/?EIO=4&transport=websocket");
  EXPECT_EQ(url->signup_target(), "/mp/api/v1/auth/guest");
  EXPECT_EQ(url->host_header(), "example.org");  // default port left out

  auto plain = parse_server_url("http://example.org:81");
  ASSERT_TRUE(plain);
  EXPECT_EQ(plain->socketio_target(), "/socket.io/?EIO=4&transport=websocket");
  EXPECT_EQ(plain->host_header(), "example.org:81");
}

TEST(ServerUrl, RefusesWhatCannotBeAServer) {
  for (const char* bad :
       {"", "   ", "ftp://h", "http://", "http://:80", "http://h:0", "http://h:65536",
        "http://h:80x", "http://h:", "http://user@h", "http://h/?q=1", "http://h/#f", "http://[::1",
        "http://[]:80", "http://[::1]x", "http://h h", "http://h\\x", "http://[zz::1]"}) {
    auto url = parse_server_url(bad);
    ASSERT_FALSE(url) << "accepted: '" << bad << "'";
    EXPECT_EQ(url.error().code, ErrorCode::invalid_request);
  }
}

TEST(ServerUrl, ListSplitsOnCommas) {
  auto list = parse_server_list("http://a:1, https://b ,c:3");
  ASSERT_TRUE(list);
  ASSERT_EQ(list->size(), 3u);
  EXPECT_EQ((*list)[0].to_string(), "http://a:1");
  EXPECT_EQ((*list)[1].to_string(), "https://b:443");
  EXPECT_EQ((*list)[2].to_string(), "http://c:3");

  EXPECT_FALSE(parse_server_list(""));
  EXPECT_FALSE(parse_server_list("http://a,,http://b"));
  EXPECT_FALSE(parse_server_list("http://a,"));
  EXPECT_FALSE(parse_server_list("http://a,gopher://b"));
}

}  // namespace
}  // namespace sudachi::client

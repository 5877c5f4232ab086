// wss:// and https:// room servers: certificates are verified (system store plus a CA file),
// and an untrusted or misnamed certificate is refused with a message that says so.
#include <gtest/gtest.h>

#include "processes.hpp"
#include "proxy.hpp"
#include "test_peer.hpp"

namespace sudachi::client::test {
namespace {

class TlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(room_.started()) << room_.log();
    ASSERT_TRUE(proxy_.started());
  }
  std::string url(const std::string& scheme, const std::string& host = "127.0.0.1") const {
    return scheme + "://" + host + ":" + std::to_string(proxy_.port());
  }
  static std::optional<mp::Event> offline(TestPeer& p) {
    return p.wait_event([](const mp::Event& e) {
      return e.type == mp::EventType::connection && e.state == mp::ConnectionState::offline;
    });
  }

  RoomProcess room_{"none"};
  Proxy proxy_{room_.port(), true};
};

TEST_F(TlsTest, WssWithTheCaFileWorks) {
  for (const char* scheme : {"wss", "https"}) {
    TestPeer a({url(scheme)}, "secure", [&](mp::ClientConfig& c) { c.ca_file = proxy_.ca_file(); });
    ASSERT_TRUE(a.wait_connected()) << scheme;
    EXPECT_FALSE(create_room(a).id.empty());
  }
  // The certificate names localhost too.
  TestPeer by_name({url("wss", "localhost")}, "named",
                   [&](mp::ClientConfig& c) { c.ca_file = proxy_.ca_file(); });
  EXPECT_TRUE(by_name.wait_connected());
}

TEST_F(TlsTest, AnUntrustedCertificateIsRefused) {
  TestPeer a({url("wss")}, "trusting", [](mp::ClientConfig& c) { c.give_up_after_passes = 1; });
  auto gone = offline(a);
  ASSERT_TRUE(gone);
  EXPECT_EQ(gone->error.code, mp::ErrorCode::unreachable);
  EXPECT_NE(gone->error.message.find("certificate"), std::string::npos) << gone->error.message;
}

TEST_F(TlsTest, PlainHttpToATlsPortFailsCleanly) {
  TestPeer a({url("http")}, "plain", [](mp::ClientConfig& c) {
    c.give_up_after_passes = 1;
    c.connect_timeout = milliseconds(1'000);
  });
  auto gone = offline(a);
  ASSERT_TRUE(gone);
  EXPECT_EQ(gone->error.code, mp::ErrorCode::unreachable);
}

TEST(TlsConfig, AnUnreadableCaFileFailsStart) {
  mp::ClientConfig config;
  config.servers = {"wss://127.0.0.1:1"};
  config.ca_file = "/nonexistent/ca.pem";
  mp::Client client(config);
  const mp::Error error = client.start();
  EXPECT_EQ(error.code, mp::ErrorCode::invalid_argument);
  EXPECT_NE(error.message.find("/nonexistent/ca.pem"), std::string::npos) << error.message;
}

}  // namespace
}  // namespace sudachi::client::test

// The I/O-free parts of cross-instance delivery: the pub/sub envelope codec, presence values
// and the local connection table. No Redis needed.
#include <gtest/gtest.h>

#include "storage/redis/delivery_envelope.hpp"
#include "storage/redis/local_connections.hpp"

namespace sudachi::storage::redis::test {
namespace {

class NullConnection final : public room::ClientConnection {
 public:
  void send(room::SharedFrame) override {}
  void disconnect() override {}
};

TEST(DeliveryEnvelope, RoundTripsEveryKindWithArbitraryBytes) {
  Envelope frame;
  frame.origin = "host-1-abc";
  frame.client_ids = {"a", std::string("b\0|:\n", 5), ""};
  frame.frame = "42[\"room:chat\",{\"message\":\"1:2,3\"}]";
  Envelope kick;
  kick.kind = Envelope::Kind::kick;
  kick.origin = "o";
  kick.client_ids = {"client"};
  kick.serial = 18446744073709551615ull;
  Envelope lobby;
  lobby.kind = Envelope::Kind::lobby;
  lobby.origin = "o";
  lobby.game_id = "0100000000010000";
  lobby.frame = std::string(100'000, 'x');
  for (const Envelope& e : {frame, kick, lobby}) {
    auto decoded = decode_envelope(encode_envelope(e));
    ASSERT_TRUE(decoded.ok());
    EXPECT_EQ(decoded->kind, e.kind);
    EXPECT_EQ(decoded->origin, e.origin);
    EXPECT_EQ(decoded->client_ids, e.client_ids);
    EXPECT_EQ(decoded->game_id, e.game_id);
    EXPECT_EQ(decoded->serial, e.serial);
    EXPECT_EQ(decoded->frame, e.frame);
  }
}

TEST(DeliveryEnvelope, RefusesMalformedInput) {
  Envelope e;
  e.origin = "o";
  e.client_ids = {"a", "b"};
  e.frame = "f";
  const std::string good = encode_envelope(e);
  EXPECT_EQ(good, "F1:o1:21:a1:b1:f");
  for (std::size_t cut = 0; cut < good.size(); ++cut) {
    EXPECT_FALSE(decode_envelope(good.substr(0, cut)).ok()) << cut;
  }
  for (const char* bad :
       {"", "X1:o", "F1:o1:21:a1:b1:fx", "F1:o99999999999:", "F1:o-1:", "F1:o2:xx", "K1:o0:1:1",
        "K1:o1:c0:", "K1:o1:c1:x", "L1:o1:g", "F1:o6:1000001:", "F1:o4:1e10"}) {
    EXPECT_FALSE(decode_envelope(bad).ok()) << bad;
  }
}

TEST(DeliveryEnvelope, PresenceValuesAndInstanceIds) {
  EXPECT_EQ(presence_value("inst-1", 42), "inst-1|42");
  auto p = parse_presence("inst-1|42");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->instance_id, "inst-1");
  EXPECT_EQ(p->serial, 42u);
  for (const char* bad : {"", "|1", "x|", "x|1a", "x", "x|-1"})
    EXPECT_FALSE(parse_presence(bad)) << bad;
  EXPECT_TRUE(valid_instance_id("host.example-123_x"));
  for (const char* bad : {"", "a b", "a|b", "a{b}", "a:b"})
    EXPECT_FALSE(valid_instance_id(bad)) << bad;
  EXPECT_FALSE(valid_instance_id(std::string(101, 'a')));
}

TEST(LocalConnections, SerialsProtectNewerConnections) {
  LocalConnections table;
  auto first = std::make_shared<NullConnection>();
  auto second = std::make_shared<NullConnection>();
  auto a = table.attach("c", first);
  EXPECT_EQ(a.previous, nullptr);
  auto b = table.attach("c", second);
  EXPECT_EQ(b.previous, first);
  EXPECT_NE(a.serial, b.serial);
  EXPECT_EQ(table.size(), 1u);
  // A kick about the first connection cannot remove the second.
  EXPECT_EQ(table.remove_if_serial("c", a.serial), nullptr);
  EXPECT_EQ(table.detach("c", first.get()), 0u);
  EXPECT_EQ(table.find("c"), second);
  ASSERT_EQ(table.snapshot().size(), 1u);
  EXPECT_EQ(table.snapshot()[0].serial, b.serial);
  EXPECT_EQ(table.remove_if_serial("c", b.serial), second);
  EXPECT_EQ(table.size(), 0u);
  EXPECT_EQ(table.detach("c", second.get()), 0u);
}

}  // namespace
}  // namespace sudachi::storage::redis::test

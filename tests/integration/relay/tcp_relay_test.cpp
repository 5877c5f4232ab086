#include <openssl/evp.h>
#include <sys/socket.h>

#include <array>
#include <random>
#include <thread>
#include <vector>

#include "relay_it.hpp"

namespace sudachi::relay::test {
namespace {

using wire::Status;

constexpr std::size_t kBytes = 16u << 20;
constexpr std::size_t kChunk = 64 * 1024;

using Digest = std::array<unsigned char, 32>;

// Streams kBytes of seeded pseudo-random data; returns the SHA-256 of what was sent.
Digest send_stream(const TcpPeer& peer, std::uint32_t seed, bool& ok) {
  std::mt19937 rng(seed);
  std::vector<std::uint8_t> chunk(kChunk);
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr);
  ok = true;
  for (std::size_t sent = 0; sent < kBytes && ok; sent += kChunk) {
    for (auto& b : chunk) b = static_cast<std::uint8_t>(rng());
    EVP_DigestUpdate(ctx, chunk.data(), chunk.size());
    ok = peer.send_all(chunk);
  }
  peer.shutdown_write();
  Digest d{};
  EVP_DigestFinal_ex(ctx, d.data(), nullptr);
  EVP_MD_CTX_free(ctx);
  return d;
}

// Reads until EOF (bounded by kBytes + 1 and the socket timeout); SHA-256 of what came.
Digest receive_stream(const TcpPeer& peer, std::size_t& total) {
  std::vector<std::uint8_t> buf(kChunk);
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr);
  total = 0;
  while (total <= kBytes) {
    const auto n = ::recv(peer.fd(), buf.data(), buf.size(), 0);
    if (n <= 0) break;
    EVP_DigestUpdate(ctx, buf.data(), static_cast<std::size_t>(n));
    total += static_cast<std::size_t>(n);
  }
  Digest d{};
  EVP_DigestFinal_ex(ctx, d.data(), nullptr);
  EVP_MD_CTX_free(ctx);
  return d;
}

TEST_P(RelayIT, TcpPairStreams16MBEachWayWithSha256) {
  RelayProcess relay(GetParam());
  ASSERT_TRUE(relay.started()) << relay.log();
  Tokens tokens;
  TcpPeer a(relay.tcp_port()), b(relay.tcp_port());
  ASSERT_TRUE(a.connected() && b.connected());
  auto ra = a.handshake(tokens.mint(0, "alice"));
  ASSERT_STATUS(ra, Status::ok);
  EXPECT_FALSE(ra->peer_bound);
  // Bytes sent before pairing are held, not lost.
  const std::array<std::uint8_t, 5> early = {'e', 'a', 'r', 'l', 'y'};
  ASSERT_TRUE(a.send_all(early));
  auto rb = b.handshake(tokens.mint(1, "bob"));
  ASSERT_STATUS(rb, Status::ok);
  EXPECT_TRUE(rb->peer_bound);
  EXPECT_EQ(a.recv_byte(), std::optional<std::uint8_t>(0x01));  // PAIRED
  EXPECT_EQ(b.recv_byte(), std::optional<std::uint8_t>(0x01));
  std::array<std::uint8_t, 5> got{};
  ASSERT_TRUE(b.recv_exact(got));
  EXPECT_EQ(got, early);

  Digest sent_a{}, sent_b{}, got_a{}, got_b{};
  bool ok_a = false, ok_b = false;
  std::size_t total_a = 0, total_b = 0;
  std::thread ta([&] { sent_a = send_stream(a, 11, ok_a); });
  std::thread tb([&] { sent_b = send_stream(b, 22, ok_b); });
  std::thread ra_thread([&] { got_a = receive_stream(a, total_a); });
  std::thread rb_thread([&] { got_b = receive_stream(b, total_b); });
  ta.join();
  tb.join();
  ra_thread.join();
  rb_thread.join();
  EXPECT_TRUE(ok_a);
  EXPECT_TRUE(ok_b);
  EXPECT_EQ(total_b, kBytes);
  EXPECT_EQ(total_a, kBytes);
  EXPECT_EQ(got_b, sent_a);
  EXPECT_EQ(got_a, sent_b);
  EXPECT_GE(relay.metric("relay_bandwidth_bytes_total{server_region=\"local\"}"), 2.0 * kBytes);
  // Both half-closes passed on: the session ends.
  EXPECT_TRUE(eventually([&] { return relay.metric("sudachi_relay_sessions_active") == 0; }));
}

TEST_P(RelayIT, TcpBandwidthLimitSlowsTheStream) {
  RelayProcess relay(GetParam(), {"--session-bandwidth-kbps", "8000"});  // 1 MB/s, 250 KB burst
  ASSERT_TRUE(relay.started()) << relay.log();
  Tokens tokens;
  TcpPeer a(relay.tcp_port()), b(relay.tcp_port());
  ASSERT_STATUS(a.handshake(tokens.mint(0, "alice")), Status::ok);
  ASSERT_STATUS(b.handshake(tokens.mint(1, "bob")), Status::ok);
  ASSERT_EQ(a.recv_byte(), std::optional<std::uint8_t>(0x01));
  ASSERT_EQ(b.recv_byte(), std::optional<std::uint8_t>(0x01));
  const auto start = std::chrono::steady_clock::now();
  std::vector<std::uint8_t> payload(1'500'000, 7);
  std::thread writer([&] { a.send_all(payload); });
  std::vector<std::uint8_t> got(payload.size());
  const bool ok = b.recv_exact(got);
  writer.join();
  ASSERT_TRUE(ok);
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::steady_clock::now() - start)
                      .count();
  EXPECT_GE(ms, 900);  // (1.5 MB - 250 KB burst) at 1 MB/s
  EXPECT_LE(ms, 10'000);
}

}  // namespace
}  // namespace sudachi::relay::test

#pragma once

#include <cstdint>
#include <string>

#include "udp_peers.hpp"

// One bulk transfer through a TCP forwarder, with the same client and sink code whichever the
// forwarder is: the sender writes `bytes` from a 256 KiB buffer, the sink reads into one, both
// non-blocking in one poll() loop on this thread. Through sudachi-relay both legs connect out
// (HELLO, HELLO_REPLY OK, PAIRED byte, per docs/relay-protocol.md §6); through a plain proxy
// (haproxy) the sender connects to the proxy and the sink accepts the proxy's connection on
// its own listening port. Timed from the first byte written to the sink's EOF.
namespace sudachi::bench {

struct TcpResult {
  bool ok = false;
  std::uint64_t bytes = 0;
  double seconds = 0;
  double mbyte_per_s() const {
    return seconds > 0 ? static_cast<double>(bytes) / seconds / 1e6 : 0;
  }
  double gbit_per_s() const {
    return seconds > 0 ? static_cast<double>(bytes) * 8 / seconds / 1e9 : 0;
  }
};

TcpResult tcp_via_relay(std::uint16_t relay_tcp_port, const RelayTarget& relay, std::uint64_t bytes,
                        double timeout_s);
TcpResult tcp_via_proxy(std::uint16_t proxy_port, std::uint16_t sink_port, std::uint64_t bytes,
                        double timeout_s);

// A TCP port on 127.0.0.1 that was free a moment ago (for the script's generated configs).
std::uint16_t free_tcp_port();

}  // namespace sudachi::bench

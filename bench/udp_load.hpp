#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "cpu_meter.hpp"
#include "latency_histogram.hpp"
#include "udp_peers.hpp"

// Drives datagrams through whatever the peers are connected to, at a set total rate, and
// measures what comes back out on the other side of each pair.
//
// Sending: peers take turns round-robin; each turn one sendmmsg (or one UDP_SEGMENT send with
// --gso) of `burst` datagrams from that peer's socket, so the syscall cost per datagram is
// 1/burst. Receiving: level-triggered epoll over all sockets, then recvmmsg on each ready one.
// Every datagram carries the relay's 4-byte DATA header, then the step id, a sequence number
// and the send time (CLOCK_MONOTONIC ns), so latency needs no clock sync and stragglers from
// an earlier step are not counted. Nothing is allocated inside the loop.
namespace sudachi::bench {

struct LoadConfig {
  std::size_t size = 200;  // UDP payload bytes of each datagram, DATA header included
  int burst = 8;           // datagrams per send call (and per peer turn)
  bool gso = false;        // one UDP_SEGMENT send per turn instead of sendmmsg
  double warmup_s = 0.3;
  double measure_s = 2.0;
  double drain_s = 0.3;
};

struct StepResult {
  double target_pps = 0;
  double offered_pps = 0;    // what the generator managed to send during the window
  double delivered_pps = 0;  // of those, what arrived (counted until the drain ended)
  double loss = 0;           // 1 - delivered/sent
  std::uint64_t sent = 0, received = 0;
  LatencyHistogram latency;
  CpuShare cpu;
  bool generator_limited() const { return offered_pps < 0.97 * target_pps; }
};

class UdpLoad {
 public:
  UdpLoad(PeerSet& peers, LoadConfig config, CpuMeter meter);
  // One step at `rate_pps` datagrams per second in total (both directions of all pairs).
  StepResult run_step(double rate_pps);

 private:
  void send_turn(std::uint32_t step, std::uint64_t now_ns);
  void receive(std::uint32_t step, StepResult& r, std::uint64_t timeout_ns);

  PeerSet& peers_;
  LoadConfig config_;
  CpuMeter meter_;
  std::uint32_t step_ = 0;
  std::size_t cursor_ = 0;
  std::uint64_t seq_ = 0;
  std::vector<std::uint8_t> send_buf_;  // burst * size
  std::vector<std::uint8_t> recv_buf_;  // kRecvBatch * 2048
};

void print_step(const char* label, const StepResult& r, std::size_t size);

}  // namespace sudachi::bench

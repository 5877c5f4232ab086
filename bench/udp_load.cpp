#include "udp_load.hpp"

#include <netinet/in.h>
#include <netinet/udp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstring>
#include <stdexcept>

#include "wire_client.hpp"

#ifndef UDP_SEGMENT
#define UDP_SEGMENT 103
#endif

namespace sudachi::bench {
namespace {

constexpr std::size_t kHeader = 4 + 4 + 8 + 8;  // DATA header, step, sequence, send time
constexpr unsigned kRecvBatch = 32;
constexpr std::size_t kRecvSlot = 2048;
constexpr int kMaxBurst = 64;

std::uint64_t now_ns() {
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::uint64_t>(ts.tv_sec) * 1'000'000'000u +
         static_cast<std::uint64_t>(ts.tv_nsec);
}

double to_s(std::uint64_t ns) {
  return static_cast<double>(ns) * 1e-9;
}

// Per-thread scratch for the syscalls: built once, reused by every call.
struct IoVectors {
  std::array<mmsghdr, kMaxBurst> send_msgs{};
  std::array<iovec, kMaxBurst> send_iov{};
  std::array<mmsghdr, kRecvBatch> recv_msgs{};
  std::array<iovec, kRecvBatch> recv_iov{};
  std::array<epoll_event, 512> events{};
  alignas(cmsghdr) std::array<char, CMSG_SPACE(sizeof(std::uint16_t))> gso_control{};
};
IoVectors g_io;

}  // namespace

UdpLoad::UdpLoad(PeerSet& peers, LoadConfig config, CpuMeter meter)
    : peers_(peers), config_(config), meter_(meter) {
  if (config_.size < kHeader || config_.size > 1500)
    throw std::invalid_argument("--size must be 24..1500");
  if (config_.burst < 1 || config_.burst > kMaxBurst)
    throw std::invalid_argument("--burst must be 1..64");
  if (config_.gso && config_.size * static_cast<std::size_t>(config_.burst) > 65000) {
    throw std::invalid_argument("--gso: burst * size must stay under 64 KiB");
  }
  send_buf_.assign(config_.size * static_cast<std::size_t>(config_.burst), 0);
  recv_buf_.assign(kRecvBatch * kRecvSlot, 0);
  for (int k = 0; k < config_.burst; ++k) {
    g_io.send_iov[k] = {send_buf_.data() + static_cast<std::size_t>(k) * config_.size,
                        config_.size};
    g_io.send_msgs[k] = {};
    g_io.send_msgs[k].msg_hdr.msg_iov = &g_io.send_iov[k];
    g_io.send_msgs[k].msg_hdr.msg_iovlen = 1;
  }
  for (unsigned k = 0; k < kRecvBatch; ++k) {
    g_io.recv_iov[k] = {recv_buf_.data() + k * kRecvSlot, kRecvSlot};
    g_io.recv_msgs[k] = {};
    g_io.recv_msgs[k].msg_hdr.msg_iov = &g_io.recv_iov[k];
    g_io.recv_msgs[k].msg_hdr.msg_iovlen = 1;
  }
}

void UdpLoad::send_turn(std::uint32_t step, std::uint64_t t) {
  std::vector<Peer>& peers = peers_.peers();
  const Peer& p = peers[cursor_];
  cursor_ = cursor_ + 1 == peers.size() ? 0 : cursor_ + 1;
  for (int k = 0; k < config_.burst; ++k) {
    std::uint8_t* d = send_buf_.data() + static_cast<std::size_t>(k) * config_.size;
    d[0] = wire_client::kData;
    const std::uint64_t seq = seq_++;
    std::memcpy(d + 4, &step, 4);
    std::memcpy(d + 8, &seq, 8);
    std::memcpy(d + 16, &t, 8);
  }
  if (config_.gso) {
    iovec whole{send_buf_.data(), send_buf_.size()};
    msghdr msg{};
    msg.msg_iov = &whole;
    msg.msg_iovlen = 1;
    msg.msg_control = g_io.gso_control.data();
    msg.msg_controllen = g_io.gso_control.size();
    cmsghdr* c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_UDP;
    c->cmsg_type = UDP_SEGMENT;
    c->cmsg_len = CMSG_LEN(sizeof(std::uint16_t));
    const auto segment = static_cast<std::uint16_t>(config_.size);
    std::memcpy(CMSG_DATA(c), &segment, sizeof segment);
    ::sendmsg(p.fd, &msg, MSG_DONTWAIT);  // a failure is a loss, counted on the far side
  } else {
    ::sendmmsg(p.fd, g_io.send_msgs.data(), static_cast<unsigned>(config_.burst), MSG_DONTWAIT);
  }
}

void UdpLoad::receive(std::uint32_t step, StepResult& r, std::uint64_t timeout_ns) {
  // Sleeps until a datagram comes or the next send is due, so the generator's CPU share
  // means something (busy polling would read 100% at any rate).
  const timespec timeout{static_cast<time_t>(timeout_ns / 1'000'000'000u),
                         static_cast<long>(timeout_ns % 1'000'000'000u)};
  const int n = ::epoll_pwait2(peers_.epoll_fd(), g_io.events.data(),
                               static_cast<int>(g_io.events.size()), &timeout, nullptr);
  std::vector<Peer>& peers = peers_.peers();
  for (int i = 0; i < n; ++i) {
    const int fd = peers[g_io.events[i].data.u32].fd;
    for (int round = 0; round < 4; ++round) {
      const int got = ::recvmmsg(fd, g_io.recv_msgs.data(), kRecvBatch, MSG_DONTWAIT, nullptr);
      if (got <= 0) break;
      const std::uint64_t t = now_ns();
      for (int k = 0; k < got; ++k) {
        const std::uint8_t* d = recv_buf_.data() + static_cast<std::size_t>(k) * kRecvSlot;
        if (g_io.recv_msgs[k].msg_len < kHeader || d[0] != wire_client::kData)
          continue;  // EVENTs, late replies
        std::uint32_t tag;
        std::memcpy(&tag, d + 4, 4);
        if (tag != step) continue;
        std::uint64_t sent_at;
        std::memcpy(&sent_at, d + 16, 8);
        ++r.received;
        r.latency.record(t > sent_at ? t - sent_at : 0);
      }
      if (static_cast<unsigned>(got) < kRecvBatch) break;
    }
  }
}

StepResult UdpLoad::run_step(double rate_pps) {
  StepResult r;
  r.target_pps = rate_pps;
  const std::uint32_t step = ++step_;
  const std::uint64_t t0 = now_ns();
  const auto at = [t0](double s) { return t0 + static_cast<std::uint64_t>(s * 1e9); };
  const std::uint64_t measure_at = at(config_.warmup_s),
                      stop_at = at(config_.warmup_s + config_.measure_s),
                      end_at = at(config_.warmup_s + config_.measure_s + config_.drain_s);
  const int turns_per_loop = std::max(1, 32 / config_.burst);  // then receive: keeps latency honest
  std::uint64_t sent_total = 0;
  bool measuring = false;
  CpuSample before{}, after{};
  for (;;) {
    std::uint64_t t = now_ns();
    if (t >= end_at) break;
    if (t < stop_at) {
      if (!measuring && t >= measure_at) {
        measuring = true;
        before = meter_.sample();
      }
      const double due = rate_pps * to_s(t - t0) - static_cast<double>(sent_total);
      int turns = std::min<int>(turns_per_loop, static_cast<int>(due / config_.burst));
      for (; turns > 0; --turns) {
        send_turn(measuring ? step : 0, t);
        sent_total += static_cast<std::uint64_t>(config_.burst);
        if (measuring) r.sent += static_cast<std::uint64_t>(config_.burst);
        t = now_ns();
      }
    } else if (measuring) {
      measuring = false;
      after = meter_.sample();
    }
    // Wait until the next burst is due (or the drain ends), but not for less than 20 us.
    const std::uint64_t next_due =
        t < stop_at ? t0 + static_cast<std::uint64_t>(
                               static_cast<double>(sent_total + config_.burst) / rate_pps * 1e9)
                    : end_at;
    const std::uint64_t wait = next_due > t + 20'000 ? std::min(next_due, end_at) - t : 0;
    receive(step, r, wait);
  }
  r.cpu = cpu_share(before, after);
  r.offered_pps = static_cast<double>(r.sent) / config_.measure_s;
  r.delivered_pps = static_cast<double>(r.received) / config_.measure_s;
  r.loss = r.sent == 0 ? 0 : 1.0 - static_cast<double>(r.received) / static_cast<double>(r.sent);
  return r;
}

void print_step(const char* label, const StepResult& r, std::size_t size) {
  const auto us = [&](double q) { return static_cast<double>(r.latency.quantile(q)) / 1000.0; };
  std::printf(
      "%s target=%.0f offered=%.0f delivered=%.0f pps mbit=%.1f loss=%.3f%% p50=%.1f p99=%.1f "
      "p999=%.1f max=%.1f us "
      "server_cpu=%.0f%% server_core_busy=%.0f%% steal=%.0f%% gen_cpu=%.0f%%%s\n",
      label, r.target_pps, r.offered_pps, r.delivered_pps,
      r.delivered_pps * static_cast<double>(size) * 8 / 1e6, r.loss * 100, us(0.5), us(0.99),
      us(0.999), static_cast<double>(r.latency.max()) / 1000.0, r.cpu.server * 100,
      r.cpu.core_busy * 100, r.cpu.core_steal * 100, r.cpu.self * 100,
      r.generator_limited() ? " GENERATOR-LIMITED" : "");
  std::fflush(stdout);
}

}  // namespace sudachi::bench

// relay-load: the load tool of the relay benchmark (bench/RESULTS.md). Drives N session pairs
// of UDP datagrams through sudachi-relay, the baseline forwarder or directly peer to peer, at a
// fixed rate or ramping to saturation, and one bulk TCP transfer through sudachi-relay or a
// TCP proxy. Loopback only; every loop is bounded by count and time (--max-seconds).
#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <exception>
#include <string>

#include <CLI/CLI.hpp>

#include "tcp_transfer.hpp"
#include "udp_load.hpp"
#include "udp_peers.hpp"

namespace {

using namespace sudachi::bench;

struct Options {
  std::string mode = "saturate";  // saturate | fixed | tcp | free-port
  std::string target = "relay";   // relay | baseline | direct  (tcp: relay | proxy)
  std::uint16_t port = 0;         // relay main UDP port, or the forwarder's port
  RelayTarget relay;
  std::size_t pairs = 1000;
  LoadConfig load;
  double rate = 100'000;
  int repeat = 1;
  double start_rate = 50'000, growth = 1.3, max_rate = 5'000'000, loss_threshold = 0.01;
  int bisect_steps = 3;
  pid_t server_pid = 0;
  int server_core = -1;
  std::uint16_t tcp_port = 0, proxy_port = 0, sink_port = 0;
  std::uint64_t tcp_bytes = 1ull << 30;
  double max_seconds = 300;
};

void raise_fd_limit() {
  rlimit l{};
  if (::getrlimit(RLIMIT_NOFILE, &l) == 0 && l.rlim_cur < l.rlim_max) {
    l.rlim_cur = l.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &l);
  }
}

bool set_up_peers(const Options& o, PeerSet& peers) {
  if (o.target == "relay") return peers.handshake_relay(o.relay, 30);
  if (o.target == "baseline") return peers.register_baseline(o.port, 30);
  peers.pair_direct();
  return true;
}

void print_result_line(const char* mode, const Options& o, const StepResult& r, double saturation,
                       bool limited) {
  std::printf(
      "RESULT mode=%s target=%s pairs=%zu size=%zu rate=%.0f delivered_pps=%.0f mbit=%.1f "
      "loss_pct=%.3f "
      "p50_us=%.1f p99_us=%.1f p999_us=%.1f saturation_pps=%.0f generator_limited=%d "
      "server_cpu_pct=%.0f "
      "gen_cpu_pct=%.0f\n",
      mode, o.target.c_str(), o.pairs, o.load.size, r.target_pps, r.delivered_pps,
      r.delivered_pps * static_cast<double>(o.load.size) * 8 / 1e6, r.loss * 100,
      static_cast<double>(r.latency.quantile(0.5)) / 1e3,
      static_cast<double>(r.latency.quantile(0.99)) / 1e3,
      static_cast<double>(r.latency.quantile(0.999)) / 1e3, saturation, limited ? 1 : 0,
      r.cpu.server * 100, r.cpu.self * 100);
  std::fflush(stdout);
}

// Ramps the rate by `growth` until loss passes the threshold (or the generator cannot offer
// the rate), then bisects between the last passing and the first failing rate.
int saturate(const Options& o, UdpLoad& load) {
  StepResult best;
  bool have_best = false, limited = false;
  double fail_rate = 0;
  auto passes = [&](const StepResult& r) {
    return r.loss <= o.loss_threshold && !r.generator_limited();
  };
  for (double rate = o.start_rate; rate <= o.max_rate; rate *= o.growth) {
    StepResult r = load.run_step(rate);
    print_step("ramp", r, o.load.size);
    if (passes(r)) {
      best = r;
      have_best = true;
      continue;
    }
    limited = r.generator_limited() && r.loss <= o.loss_threshold;
    fail_rate = rate;
    break;
  }
  if (!have_best) {
    std::printf("saturation: even %.0f pps failed\n", o.start_rate);
    return 1;
  }
  if (fail_rate > 0 && !limited) {
    double lo = best.target_pps, hi = fail_rate;
    for (int i = 0; i < o.bisect_steps; ++i) {
      const double mid = (lo + hi) / 2;
      StepResult r = load.run_step(mid);
      print_step("bisect", r, o.load.size);
      if (passes(r)) {
        lo = mid;
        if (r.delivered_pps > best.delivered_pps) best = r;
      } else {
        hi = mid;
      }
    }
  }
  std::printf(
      "saturation: %.0f packets/s delivered (%.1f Mbit/s of %zu-byte datagrams) at loss %.3f%%%s\n",
      best.delivered_pps, best.delivered_pps * static_cast<double>(o.load.size) * 8 / 1e6,
      o.load.size, best.loss * 100,
      limited ? " -- the load generator, not the server, was the limit" : "");
  print_result_line("saturate", o, best, best.delivered_pps, limited);
  return 0;
}

int fixed(const Options& o, UdpLoad& load) {
  for (int i = 0; i < o.repeat; ++i) {
    StepResult r = load.run_step(o.rate);
    print_step("fixed", r, o.load.size);
    print_result_line("fixed", o, r, 0, r.generator_limited());
  }
  return 0;
}

int tcp(const Options& o) {
  const double timeout = std::max(10.0, o.max_seconds - 5);
  TcpResult r = o.target == "relay"
                    ? tcp_via_relay(o.tcp_port, o.relay, o.tcp_bytes, timeout)
                    : tcp_via_proxy(o.proxy_port, o.sink_port, o.tcp_bytes, timeout);
  if (!r.ok) return 1;
  std::printf("tcp via %s: %llu bytes in %.3f s = %.0f MB/s (%.2f Gbit/s)\n", o.target.c_str(),
              static_cast<unsigned long long>(r.bytes), r.seconds, r.mbyte_per_s(), r.gbit_per_s());
  std::printf(
      "RESULT mode=tcp target=%s bytes=%llu seconds=%.3f mbyte_per_s=%.0f gbit_per_s=%.2f\n",
      o.target.c_str(), static_cast<unsigned long long>(r.bytes), r.seconds, r.mbyte_per_s(),
      r.gbit_per_s());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  CLI::App app{"relay-load: UDP/TCP load generator for sudachi-relay benchmarks (loopback only)"};
  app.option_defaults()->multi_option_policy(
      CLI::MultiOptionPolicy::TakeLast);  // later flags override
  app.add_option("--mode", o.mode, "saturate, fixed, tcp or free-port")
      ->check(CLI::IsMember({"saturate", "fixed", "tcp", "free-port"}));
  app.add_option("--target", o.target, "UDP: relay, baseline or direct; TCP: relay or proxy")
      ->check(CLI::IsMember({"relay", "baseline", "direct", "proxy"}));
  app.add_option("--port", o.port, "UDP: the relay's main port, or the baseline forwarder's port");
  app.add_option("--relay-secret", o.relay.secret,
                 "The relay's --relay-secret (tokens are minted with it)");
  app.add_option("--relay-id", o.relay.relay_id, "The relay's --relay-id");
  app.add_option("--pairs", o.pairs, "Session pairs (two UDP sockets each)")
      ->check(CLI::Range(1, 20000));
  app.add_option("--size", o.load.size, "Datagram size in bytes, 4-byte DATA header included")
      ->check(CLI::Range(24, 1500));
  app.add_option("--burst", o.load.burst, "Datagrams per send call from one peer")
      ->check(CLI::Range(1, 64));
  app.add_flag("--gso", o.load.gso, "Send each burst as one UDP_SEGMENT (GSO) datagram train");
  app.add_option("--rate", o.rate, "fixed: total datagrams/s (both directions, all pairs)");
  app.add_option("--repeat", o.repeat, "fixed: measurements in a row")->check(CLI::Range(1, 100));
  app.add_option("--start-rate", o.start_rate, "saturate: first rate");
  app.add_option("--growth", o.growth, "saturate: rate factor per step")
      ->check(CLI::Range(1.05, 4.0));
  app.add_option("--max-rate", o.max_rate, "saturate: stop there");
  app.add_option("--loss-threshold", o.loss_threshold,
                 "saturate: loss fraction that ends the ramp");
  app.add_option("--bisect-steps", o.bisect_steps, "saturate: refinements after the ramp")
      ->check(CLI::Range(0, 10));
  app.add_option("--warmup", o.load.warmup_s, "Seconds at the rate before each measurement")
      ->check(CLI::Range(0.0, 30.0));
  app.add_option("--duration", o.load.measure_s, "Seconds measured per step")
      ->check(CLI::Range(0.1, 60.0));
  app.add_option("--drain", o.load.drain_s, "Seconds to collect late datagrams")
      ->check(CLI::Range(0.05, 10.0));
  app.add_option("--server-pid", o.server_pid, "Report this process's CPU use per step");
  app.add_option("--server-core", o.server_core, "Report how busy this core was per step");
  app.add_option("--tcp-port", o.tcp_port, "tcp/relay: the relay's TCP port");
  app.add_option("--proxy-port", o.proxy_port, "tcp/proxy: the proxy's listening port");
  app.add_option("--sink-port", o.sink_port,
                 "tcp/proxy: where the sink listens (the proxy's backend)");
  app.add_option("--tcp-bytes", o.tcp_bytes, "tcp: bytes to transfer");
  app.add_option("--max-seconds", o.max_seconds, "Hard bound on the whole run")
      ->check(CLI::Range(1.0, 3600.0));
  CLI11_PARSE(app, argc, argv);
  o.relay.udp_port = o.port;

  if (o.mode == "free-port") {
    std::printf("%u\n", free_tcp_port());
    return 0;
  }
  ::alarm(static_cast<unsigned>(o.max_seconds));  // the last resort: SIGALRM ends the process
  raise_fd_limit();
  try {
    if (o.mode == "tcp") return tcp(o);
    PeerSet peers(o.pairs, 256 << 10);
    if (!set_up_peers(o, peers)) return 1;
    UdpLoad load(peers, o.load, CpuMeter(o.server_pid, o.server_core));
    return o.mode == "saturate" ? saturate(o, load) : fixed(o, load);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "relay-load: %s\n", e.what());
    return 1;
  }
}

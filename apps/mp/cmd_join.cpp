// sudachi-mp join ROOMID [...]: joins, connects to the host, sends N datagrams at a fixed rate
// and measures the echoes. The last line is the result; exit 0 when connected and at least 99%
// of the echoes came back.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <random>
#include <vector>

#include <boost/json.hpp>

#include "commands.hpp"

namespace sudachi::mp_cli {
namespace {

using Clock = std::chrono::steady_clock;

// Each datagram: run nonce (8 bytes), sequence number (8), send time in ns (8), padding. The
// nonce tells this run's echoes from strays of an earlier run through the same host.
constexpr std::size_t kHeader = 24;
constexpr std::uint64_t kWarmUp = ~std::uint64_t{0};  // the sequence number of warm-up datagrams

std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch())
      .count();
}

void put64(std::byte* p, std::uint64_t v) {
  std::memcpy(p, &v, 8);
}
std::uint64_t get64(const std::byte* p) {
  std::uint64_t v = 0;
  std::memcpy(&v, p, 8);
  return v;
}

// Nearest-rank percentile of sorted values.
double percentile(const std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0;
  const auto rank =
      static_cast<std::size_t>(std::ceil(p / 100.0 * static_cast<double>(sorted.size())));
  return sorted[std::min(sorted.size(), std::max<std::size_t>(rank, 1)) - 1];
}

double round3(double v) {
  return std::round(v * 1000.0) / 1000.0;
}

}  // namespace

int run_join(const CommonOptions& common, const JoinOptions& options, const Output& out) {
  const auto deadline =
      Clock::now() + std::chrono::milliseconds(static_cast<std::int64_t>(options.timeout_s * 1000));
  Inbox inbox;
  int exit_code = kOk;
  auto client = connect(common, out, inbox, exit_code);
  if (!client) return exit_code;

  const mp::Event joined =
      await_call(*client, inbox, client->join_room(options.room_id, options.password));
  if (joined.error) {
    out.error(joined.error);
    return exit_code_for(joined.error);
  }
  const std::string host = joined.room ? joined.room->host_client_id : "";
  out.status("joined room " + options.room_id + "; connecting to the host " + host);

  // ---- a path to the host
  mp::PathKind path = mp::PathKind::none;
  std::int64_t connect_ms = -1;
  mp::Error failure;
  std::uint64_t nonce = std::random_device{}();
  nonce = (nonce << 32) ^ std::random_device{}();
  std::vector<bool> echoed(static_cast<std::size_t>(options.count), false);
  std::vector<double> rtts;
  rtts.reserve(echoed.size());
  int received = 0;

  inbox.on_event_fn = [&](const mp::Event& e) {
    switch (e.type) {
      case mp::EventType::peer_connected:
        if (e.peer_id != host) break;
        path = e.path;
        connect_ms = e.connect_ms;
        out.status("connected to the host (" + std::string(mp::to_string(path)) + ") in " +
                   std::to_string(connect_ms) + " ms");
        break;
      case mp::EventType::peer_path_changed:
        if (e.peer_id == host) path = e.path;
        break;
      case mp::EventType::peer_failed:
        if (e.peer_id == host)
          failure = {mp::ErrorCode::unreachable, "no path to the host: " + e.error.message, 0};
        break;
      default:
        if (auto gone = report_common(e, out)) failure = *gone;
        break;
    }
  };
  bool echo_path_ready = false;
  inbox.on_datagram_fn = [&](std::string_view peer, std::span<const std::byte> data) {
    if (peer != host || data.size() < kHeader || get64(data.data()) != nonce) return;
    const std::uint64_t seq = get64(data.data() + 8);
    if (seq == kWarmUp) {
      echo_path_ready = true;
      return;
    }
    if (seq >= echoed.size() || echoed[seq]) return;
    echoed[seq] = true;
    ++received;
    rtts.push_back(
        static_cast<double>(now_ns() - static_cast<std::int64_t>(get64(data.data() + 16))) / 1e6);
  };

  while (connect_ms < 0 && !failure && !g_stop_requested.load() && Clock::now() < deadline) {
    client->wait(std::chrono::milliseconds(20));
    client->poll(inbox);
  }
  int sent = 0;
  if (connect_ms >= 0 && !failure) {
    // Our side has a path; the host's side of it may be a moment behind (its relay leg, its
    // nomination). Until one warm-up datagram comes back the host could not echo, and the
    // first measured datagrams would count as lost for a reason that is not loss.
    std::vector<std::byte> probe(kHeader, std::byte{0});
    put64(probe.data(), nonce);
    put64(probe.data() + 8, kWarmUp);
    const auto warm_until = std::min(deadline, Clock::now() + std::chrono::seconds(3));
    auto next_probe = Clock::now();
    while (!echo_path_ready && !failure && !g_stop_requested.load() && Clock::now() < warm_until) {
      if (Clock::now() >= next_probe) {
        client->send(host, probe);
        next_probe = Clock::now() + std::chrono::milliseconds(20);
      }
      client->wait(std::chrono::milliseconds(5));
      client->poll(inbox);
    }
  }
  if (connect_ms >= 0 && !failure) {
    // ---- N datagrams at a steady rate, echoes counted as they come
    char rate[32];
    std::snprintf(rate, sizeof rate, "%g", options.rate);
    out.status("sending " + std::to_string(options.count) + " datagrams of " +
               std::to_string(options.size) + " bytes at " + rate + "/s");
    std::vector<std::byte> payload(static_cast<std::size_t>(options.size), std::byte{0x5a});
    const auto start = Clock::now();
    const auto interval = std::chrono::duration<double>(1.0 / options.rate);
    while (sent < options.count && !g_stop_requested.load() && !failure) {
      const auto due = start + std::chrono::duration_cast<Clock::duration>(interval * sent);
      const auto now = Clock::now();
      if (now >= due) {
        put64(payload.data(), nonce);
        put64(payload.data() + 8, static_cast<std::uint64_t>(sent));
        put64(payload.data() + 16, static_cast<std::uint64_t>(now_ns()));
        client->send(host, payload);
        ++sent;
        continue;
      }
      client->wait(std::chrono::duration_cast<std::chrono::milliseconds>(due - now));
      client->poll(inbox);
    }
    // The last echoes: until all are back, or two seconds (far beyond any RTT it measures).
    const auto drain_until = Clock::now() + std::chrono::seconds(2);
    while (received < sent && !g_stop_requested.load() && Clock::now() < drain_until) {
      client->wait(std::chrono::milliseconds(10));
      client->poll(inbox);
    }
  } else if (!failure) {
    failure = {mp::ErrorCode::timeout,
               g_stop_requested.load() ? "interrupted" : "no path to the host in time", 0};
  }
  client->stop();

  std::sort(rtts.begin(), rtts.end());
  const double p50 = round3(percentile(rtts, 50));
  const double p99 = round3(percentile(rtts, 99));
  if (failure) out.error(failure);
  if (!out.json()) {
    char line[256];
    std::snprintf(line, sizeof line, "sent %d, received %d, rtt p50 %.3f ms, p99 %.3f ms, path %s",
                  sent, received, p50, p99, std::string(mp::to_string(path)).c_str());
    out.status(line);
  }
  out.event(boost::json::object{{"event", "result"},
                                {"peer", host},
                                {"path", mp::to_string(path)},
                                {"connectMs", connect_ms},
                                {"sent", sent},
                                {"received", received},
                                {"rttP50Ms", p50},
                                {"rttP99Ms", p99}});
  const bool enough = sent > 0 && received * 100 >= options.count * 99;
  return connect_ms >= 0 && enough ? kOk : kFailed;
}

}  // namespace sudachi::mp_cli

// udp-baseline-forwarder: the physical-limit baseline of the relay benchmark. One thread, one
// UDP socket, recvmmsg + sendmmsg, no checks at all: a datagram from loopback port P goes to
// loopback port map[P]. The map is filled by the load tool's registration datagram
// (0xB1 0 | u16 partner port, echoed back as 0xB2), so the same load tool and the same client
// sockets drive it and sudachi-relay alike. Same socket buffers as the relay (4 MiB).
//
//   udp-baseline-forwarder [--port 0] [--port-file F] [--batch 64] [--max-seconds 3600]
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>

namespace {

constexpr unsigned kMaxBatch = 256;
constexpr std::size_t kSlot = 2048;

volatile sig_atomic_t g_stop = 0;
void on_signal(int) {
  g_stop = 1;
}

struct State {
  std::array<std::uint16_t, 65536> partner{};  // by source port; 0 = unknown
  std::array<mmsghdr, kMaxBatch> in{};
  std::array<iovec, kMaxBatch> in_iov{};
  std::array<sockaddr_in, kMaxBatch> from{};
  std::array<mmsghdr, kMaxBatch> out{};
  std::array<iovec, kMaxBatch> out_iov{};
  std::array<sockaddr_in, kMaxBatch> to{};
  std::array<std::uint8_t, kMaxBatch * kSlot> data{};
  std::uint64_t forwarded = 0, dropped = 0;
};

State g;  // large: static storage, not the stack

void forward(int fd, unsigned batch) {
  for (unsigned i = 0; i < batch; ++i) {
    g.in_iov[i] = {g.data.data() + i * kSlot, kSlot};
    g.in[i].msg_hdr.msg_iov = &g.in_iov[i];
    g.in[i].msg_hdr.msg_iovlen = 1;
    g.in[i].msg_hdr.msg_name = &g.from[i];
    g.in[i].msg_hdr.msg_namelen = sizeof(sockaddr_in);
  }
  // Blocks for the first datagram, then takes what is queued (up to `batch`).
  const int n = ::recvmmsg(fd, g.in.data(), batch, MSG_WAITFORONE, nullptr);
  if (n <= 0) return;  // EINTR (a signal), or an ICMP error: nothing to forward
  unsigned out = 0;
  for (int i = 0; i < n; ++i) {
    std::uint8_t* d = g.data.data() + static_cast<std::size_t>(i) * kSlot;
    const std::uint16_t src = ntohs(g.from[i].sin_port);
    if (g.in[i].msg_len == 4 && d[0] == 0xB1) {  // registration: learn, acknowledge
      g.partner[src] = static_cast<std::uint16_t>(d[2] << 8 | d[3]);
      d[0] = 0xB2;
      g.to[out] = g.from[i];
    } else if (const std::uint16_t dst = g.partner[src]; dst != 0) {
      g.to[out] = g.from[i];
      g.to[out].sin_port = htons(dst);
    } else {
      ++g.dropped;
      continue;
    }
    g.out_iov[out] = {d, g.in[i].msg_len};
    g.out[out].msg_hdr = {};
    g.out[out].msg_hdr.msg_iov = &g.out_iov[out];
    g.out[out].msg_hdr.msg_iovlen = 1;
    g.out[out].msg_hdr.msg_name = &g.to[out];
    g.out[out].msg_hdr.msg_namelen = sizeof(sockaddr_in);
    ++out;
  }
  unsigned done = 0;
  while (done < out) {
    const int s = ::sendmmsg(fd, g.out.data() + done, out - done, MSG_DONTWAIT);
    if (s > 0) {
      done += static_cast<unsigned>(s);
      continue;
    }
    if (errno == EINTR) continue;
    // Like the relay: a full send buffer drops the rest of the batch; another error, one datagram.
    const unsigned lost = (errno == EAGAIN || errno == ENOBUFS) ? out - done : 1;
    g.dropped += lost;
    done += lost;
  }
  g.forwarded += done;
}

}  // namespace

int main(int argc, char** argv) {
  int port = 0;
  unsigned batch = 64;
  unsigned max_seconds = 3600;
  std::string port_file;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--port")
      port = std::atoi(argv[i + 1]);
    else if (flag == "--port-file")
      port_file = argv[i + 1];
    else if (flag == "--batch")
      batch = static_cast<unsigned>(std::atoi(argv[i + 1]));
    else if (flag == "--max-seconds")
      max_seconds = static_cast<unsigned>(std::atoi(argv[i + 1]));
    else {
      std::fprintf(stderr,
                   "usage: %s [--port P] [--port-file F] [--batch 1..256] [--max-seconds S]\n",
                   argv[0]);
      return 2;
    }
  }
  if (batch < 1 || batch > kMaxBatch || port < 0 || port > 65535) return 2;

  const int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  const int buffer = 4 << 20;
  ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buffer, sizeof buffer);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &buffer, sizeof buffer);
  sockaddr_in at{};
  at.sin_family = AF_INET;
  at.sin_port = htons(static_cast<std::uint16_t>(port));
  at.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&at), sizeof at) != 0) {
    std::perror("bind");
    return 1;
  }
  socklen_t len = sizeof at;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&at), &len);
  if (!port_file.empty()) {
    { std::ofstream(port_file + ".tmp") << ntohs(at.sin_port) << '\n'; }
    std::rename((port_file + ".tmp").c_str(), port_file.c_str());
  }
  std::fprintf(stderr, "udp-baseline-forwarder: 127.0.0.1:%u batch %u\n", ntohs(at.sin_port),
               batch);

  struct sigaction sa {};
  sa.sa_handler = on_signal;  // no SA_RESTART: a signal interrupts the blocking recvmmsg
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGALRM, &sa, nullptr);
  ::alarm(max_seconds);  // bounded even if nobody stops it
  while (!g_stop) forward(fd, batch);
  std::fprintf(stderr, "udp-baseline-forwarder: forwarded %llu, dropped %llu\n",
               static_cast<unsigned long long>(g.forwarded),
               static_cast<unsigned long long>(g.dropped));
  ::close(fd);
  return 0;
}

#pragma once

#include <netinet/in.h>

#include <cstdint>
#include <string>
#include <vector>

// The load tool's peers: two UDP sockets per session pair, each bound to its own 127.0.0.1
// port (the relay binds a slot to a source address), all registered in one epoll set whose
// event data is the peer index. After setup each socket is connect()ed to where its data goes:
// the relay's data port, the baseline forwarder, or (direct) its partner.
namespace sudachi::bench {

enum class Target { relay, baseline, direct };

struct RelayTarget {
  std::uint16_t udp_port = 0;  // the main port
  std::string secret;          // as --relay-secret of sudachi-relay
  std::string relay_id = "local";
};

struct Peer {
  int fd = -1;
  std::uint16_t local_port = 0;
  std::uint16_t dest_port = 0;  // where its data goes (127.0.0.1)
  std::uint32_t partner = 0;    // index of the other peer of the pair
};

class PeerSet {
 public:
  // Opens 2 * pairs sockets; throws std::runtime_error (e.g. out of file descriptors).
  PeerSet(std::size_t pairs, int rcvbuf_bytes);
  ~PeerSet();
  PeerSet(const PeerSet&) = delete;
  PeerSet& operator=(const PeerSet&) = delete;

  // Each returns false (with a message on stderr) when setup did not complete in time.
  bool handshake_relay(const RelayTarget& relay, double timeout_s);
  bool register_baseline(std::uint16_t forwarder_port, double timeout_s);
  void pair_direct();

  std::vector<Peer>& peers() { return peers_; }
  int epoll_fd() const { return epoll_fd_; }

 private:
  bool connect_all();

  std::vector<Peer> peers_;
  int epoll_fd_ = -1;
};

sockaddr_in loopback(std::uint16_t port);

}  // namespace sudachi::bench

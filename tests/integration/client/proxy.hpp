#pragma once

#include <cstdint>
#include <memory>
#include <string>

// A TCP proxy on 127.0.0.1 in front of a plain server, for tests that need the network between
// client and server in their hands. Runs its own thread.
// - TLS mode terminates TLS with a certificate made on the spot (self-signed, valid for the IP
//   address 127.0.0.1 and the name "localhost"), as a deployment's reverse proxy would; the
//   certificate is written to a PEM file for the client's ca_file.
// - cut_clients() drops every client-side connection while keeping the server-side ones open
//   and silent: the client sees its connection die, the server sees nothing (a NAT rebinding,
//   a Wi-Fi handover), until its own heartbeat notices.
namespace sudachi::client::test {

class Proxy {
 public:
  Proxy(std::uint16_t backend_port, bool tls);
  ~Proxy();
  Proxy(const Proxy&) = delete;
  Proxy& operator=(const Proxy&) = delete;

  bool started() const;
  std::uint16_t port() const;
  const std::string& ca_file() const;  // TLS mode: the certificate, PEM
  void cut_clients();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace sudachi::client::test

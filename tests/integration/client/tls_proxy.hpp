#pragma once

#include <cstdint>
#include <memory>
#include <string>

// A TLS-terminating TCP proxy on 127.0.0.1 in front of a plain server, with a certificate made
// on the spot (self-signed, valid for the IP address 127.0.0.1 and the name "localhost"), as a
// deployment's reverse proxy would be. For the wss:// and https:// tests: the certificate is
// written to a PEM file for the client's ca_file. Runs its own thread.
namespace sudachi::client::test {

class TlsProxy {
 public:
  explicit TlsProxy(std::uint16_t backend_port);
  ~TlsProxy();
  TlsProxy(const TlsProxy&) = delete;
  TlsProxy& operator=(const TlsProxy&) = delete;

  bool started() const;
  std::uint16_t port() const;
  const std::string& ca_file() const;  // the certificate, PEM

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace sudachi::client::test

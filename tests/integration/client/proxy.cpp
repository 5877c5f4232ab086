#include "proxy.hpp"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <future>
#include <thread>
#include <vector>

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>

#include "processes.hpp"

namespace sudachi::client::test {
namespace asio = boost::asio;
namespace ssl = boost::asio::ssl;
using asio::ip::tcp;

namespace {

struct Credentials {
  EVP_PKEY* key = nullptr;
  X509* cert = nullptr;
  ~Credentials() {
    EVP_PKEY_free(key);
    X509_free(cert);
  }
};

bool make_credentials(Credentials& c) {
  c.key = EVP_EC_gen("P-256");
  c.cert = X509_new();
  if (c.key == nullptr || c.cert == nullptr) return false;
  X509_set_version(c.cert, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(c.cert), 1);
  X509_gmtime_adj(X509_getm_notBefore(c.cert), -60);
  X509_gmtime_adj(X509_getm_notAfter(c.cert), 3600);
  X509_set_pubkey(c.cert, c.key);
  X509_NAME* name = X509_get_subject_name(c.cert);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("sudachi test"), -1, -1, 0);
  X509_set_issuer_name(c.cert, name);
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, c.cert, c.cert, nullptr, nullptr, 0);
  for (const auto& [nid, value] : {std::pair{NID_subject_alt_name, "IP:127.0.0.1,DNS:localhost"},
                                   std::pair{NID_basic_constraints, "critical,CA:TRUE"}}) {
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
    if (ext == nullptr) return false;
    X509_add_ext(c.cert, ext, -1);
    X509_EXTENSION_free(ext);
  }
  return X509_sign(c.cert, c.key, EVP_sha256()) > 0;
}

// One proxied connection. The client side is a TLS stream or a plain socket (`tls` unset).
struct Link {
  explicit Link(asio::io_context& io) : backend(io) {}
  std::unique_ptr<ssl::stream<tcp::socket>> tls;
  std::unique_ptr<tcp::socket> plain;
  tcp::socket backend;
  bool cut = false;  // client side dropped on purpose: the backend stays open and silent

  tcp::socket& client_socket() { return tls ? tls->next_layer() : *plain; }
};

template <class Stream>
asio::awaitable<bool> read_some(Stream& s, std::array<char, 16 * 1024>& buffer, std::size_t& n) {
  auto [ec, got] =
      co_await s.async_read_some(asio::buffer(buffer), asio::as_tuple(asio::use_awaitable));
  n = got;
  co_return !ec;
}

// Copies bytes one way until either side closes; then half-closes the other side, unless the
// link was cut on purpose.
asio::awaitable<void> client_to_backend(std::shared_ptr<Link> link) {
  std::array<char, 16 * 1024> buffer;
  for (;;) {
    std::size_t n = 0;
    const bool ok = link->tls ? co_await read_some(*link->tls, buffer, n)
                              : co_await read_some(*link->plain, buffer, n);
    if (!ok || link->cut) break;
    auto [wec, w] = co_await asio::async_write(link->backend, asio::buffer(buffer.data(), n),
                                               asio::as_tuple(asio::use_awaitable));
    if (wec) break;
  }
  boost::system::error_code ignored;
  if (!link->cut) link->backend.shutdown(tcp::socket::shutdown_send, ignored);
}

asio::awaitable<void> backend_to_client(std::shared_ptr<Link> link) {
  std::array<char, 16 * 1024> buffer;
  for (;;) {
    std::size_t n = 0;
    if (!co_await read_some(link->backend, buffer, n)) break;
    if (link->cut) continue;  // swallowed: the client is gone as far as anyone can tell
    auto [wec, w] = link->tls
                        ? co_await asio::async_write(*link->tls, asio::buffer(buffer.data(), n),
                                                     asio::as_tuple(asio::use_awaitable))
                        : co_await asio::async_write(*link->plain, asio::buffer(buffer.data(), n),
                                                     asio::as_tuple(asio::use_awaitable));
    if (wec) break;
  }
  boost::system::error_code ignored;
  if (!link->cut) link->client_socket().shutdown(tcp::socket::shutdown_send, ignored);
}

}  // namespace

struct Proxy::Impl {
  asio::io_context io;
  ssl::context tls{ssl::context::tls_server};
  bool use_tls = false;
  tcp::acceptor acceptor{io};
  std::uint16_t backend_port = 0;
  std::uint16_t port = 0;
  std::string dir;
  std::string ca_file;
  std::vector<std::shared_ptr<Link>> links;  // every link stays until the proxy goes
  std::thread thread;

  asio::awaitable<void> serve(tcp::socket socket) {
    auto link = std::make_shared<Link>(io);
    if (use_tls) {
      link->tls = std::make_unique<ssl::stream<tcp::socket>>(std::move(socket), tls);
      auto [hec] = co_await link->tls->async_handshake(ssl::stream_base::server,
                                                       asio::as_tuple(asio::use_awaitable));
      if (hec) co_return;  // e.g. the client refused our certificate
    } else {
      link->plain = std::make_unique<tcp::socket>(std::move(socket));
    }
    auto [cec] = co_await link->backend.async_connect(
        tcp::endpoint(asio::ip::address_v4::loopback(), backend_port),
        asio::as_tuple(asio::use_awaitable));
    if (cec) co_return;
    links.push_back(link);
    asio::co_spawn(io, backend_to_client(link), asio::detached);
    co_await client_to_backend(link);
  }

  asio::awaitable<void> accept_loop() {
    for (;;) {
      auto [ec, socket] = co_await acceptor.async_accept(asio::as_tuple(asio::use_awaitable));
      if (ec) co_return;
      asio::co_spawn(io, serve(std::move(socket)), asio::detached);
    }
  }
};

Proxy::Proxy(std::uint16_t backend_port, bool tls) : impl_(std::make_unique<Impl>()) {
  Impl& s = *impl_;
  s.backend_port = backend_port;
  s.use_tls = tls;
  if (tls) {
    Credentials creds;
    if (!make_credentials(creds)) return;
    if (SSL_CTX_use_certificate(s.tls.native_handle(), creds.cert) != 1 ||
        SSL_CTX_use_PrivateKey(s.tls.native_handle(), creds.key) != 1)
      return;
    s.dir = make_temp_dir("sudachi-tls");
    s.ca_file = s.dir + "/ca.pem";
    std::FILE* f = std::fopen(s.ca_file.c_str(), "w");
    if (f == nullptr) return;
    PEM_write_X509(f, creds.cert);
    std::fclose(f);
  }
  boost::system::error_code ec;
  const tcp::endpoint at(asio::ip::address_v4::loopback(), 0);
  s.acceptor.open(at.protocol(), ec);
  if (!ec) s.acceptor.bind(at, ec);
  if (!ec) s.acceptor.listen(64, ec);
  if (ec) return;
  s.port = s.acceptor.local_endpoint().port();
  asio::co_spawn(s.io, s.accept_loop(), asio::detached);
  s.thread = std::thread([&s] { s.io.run(); });
}

Proxy::~Proxy() {
  impl_->io.stop();
  if (impl_->thread.joinable()) impl_->thread.join();
  std::error_code ec;
  if (!impl_->dir.empty()) std::filesystem::remove_all(impl_->dir, ec);
}

bool Proxy::started() const {
  return impl_->port != 0;
}
std::uint16_t Proxy::port() const {
  return impl_->port;
}
const std::string& Proxy::ca_file() const {
  return impl_->ca_file;
}

void Proxy::cut_clients() {
  std::promise<void> done;
  asio::post(impl_->io, [this, &done] {
    for (auto& link : impl_->links) {
      if (link->cut) continue;
      link->cut = true;
      boost::system::error_code ignored;
      link->client_socket().close(ignored);
    }
    done.set_value();
  });
  done.get_future().wait();
}

}  // namespace sudachi::client::test

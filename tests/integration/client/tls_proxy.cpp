#include "tls_proxy.hpp"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <thread>

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

// Copies bytes one way until either side closes.
template <class From, class To>
asio::awaitable<void> pump(From& from, To& to) {
  std::array<char, 16 * 1024> buffer;
  for (;;) {
    auto [rec, n] =
        co_await from.async_read_some(asio::buffer(buffer), asio::as_tuple(asio::use_awaitable));
    if (rec) break;
    auto [wec, w] = co_await asio::async_write(to, asio::buffer(buffer.data(), n),
                                               asio::as_tuple(asio::use_awaitable));
    if (wec) break;
  }
  boost::system::error_code ignored;
  to.lowest_layer().shutdown(tcp::socket::shutdown_send, ignored);
}

}  // namespace

struct TlsProxy::Impl {
  asio::io_context io;
  ssl::context tls{ssl::context::tls_server};
  tcp::acceptor acceptor{io};
  std::uint16_t backend_port = 0;
  std::uint16_t port = 0;
  std::string dir;
  std::string ca_file;
  std::thread thread;

  asio::awaitable<void> serve(tcp::socket client_socket) {
    auto client = std::make_shared<ssl::stream<tcp::socket>>(std::move(client_socket), tls);
    auto [hec] = co_await client->async_handshake(ssl::stream_base::server,
                                                  asio::as_tuple(asio::use_awaitable));
    if (hec) co_return;  // e.g. the client refused our certificate
    auto backend = std::make_shared<tcp::socket>(io);
    auto [cec] = co_await backend->async_connect(
        tcp::endpoint(asio::ip::address_v4::loopback(), backend_port),
        asio::as_tuple(asio::use_awaitable));
    if (cec) co_return;
    asio::co_spawn(
        io, [client, backend]() -> asio::awaitable<void> { co_await pump(*backend, *client); },
        asio::detached);
    co_await pump(*client, *backend);
  }

  asio::awaitable<void> accept_loop() {
    for (;;) {
      auto [ec, socket] = co_await acceptor.async_accept(asio::as_tuple(asio::use_awaitable));
      if (ec) co_return;
      asio::co_spawn(io, serve(std::move(socket)), asio::detached);
    }
  }
};

TlsProxy::TlsProxy(std::uint16_t backend_port) : impl_(std::make_unique<Impl>()) {
  Impl& s = *impl_;
  s.backend_port = backend_port;
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

TlsProxy::~TlsProxy() {
  impl_->io.stop();
  if (impl_->thread.joinable()) impl_->thread.join();
  std::error_code ec;
  if (!impl_->dir.empty()) std::filesystem::remove_all(impl_->dir, ec);
}

bool TlsProxy::started() const {
  return impl_->port != 0;
}
std::uint16_t TlsProxy::port() const {
  return impl_->port;
}
const std::string& TlsProxy::ca_file() const {
  return impl_->ca_file;
}

}  // namespace sudachi::client::test

#include "relay/backend/asio/asio_worker_loop.hpp"

#include <optional>

#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/post.hpp>

namespace sudachi::relay::asio_backend {
namespace {

// One class for both kinds of fd: the socket case and the descriptor case differ only in the
// object async_wait is called on.
class AsioReadableWatch final : public ReadableWatch {
 public:
  // On the worker's own UDP socket.
  AsioReadableWatch(boost::asio::io_context& context, boost::asio::ip::udp::socket& socket,
                    std::function<void()> on_readable)
      : context_(context), socket_(&socket), on_readable_(std::move(on_readable)) {}
  // On any other fd (an io_uring ring or its eventfd).
  AsioReadableWatch(boost::asio::io_context& context, int fd, std::function<void()> on_readable)
      : context_(context), on_readable_(std::move(on_readable)) {
    descriptor_.emplace(context, fd);
  }

  ~AsioReadableWatch() override {
    // A cancelled wait completes with an error, and its handler returns before touching us.
    boost::system::error_code ignored;
    if (socket_ != nullptr) socket_->cancel(ignored);
    if (descriptor_) {
      descriptor_->cancel(ignored);
      descriptor_->release();  // out of the reactor; the fd's owner closes it
    }
  }

  void arm() override {
    auto handler = [this](const boost::system::error_code& ec) {
      if (ec) return;  // cancelled or closed: the worker is stopping, `this` may be gone
      on_readable_();
    };
    if (socket_ != nullptr) {
      socket_->async_wait(boost::asio::socket_base::wait_read, handler);
    } else {
      descriptor_->async_wait(boost::asio::posix::descriptor_base::wait_read, handler);
    }
  }

  void defer() override {
    // A posted handler is not cancelled with the wait: it checks that the watch still exists.
    boost::asio::post(context_, [this, alive = std::weak_ptr<char>(alive_)] {
      if (alive.lock()) on_readable_();
    });
  }

 private:
  boost::asio::io_context& context_;
  boost::asio::ip::udp::socket* socket_ = nullptr;
  std::optional<boost::asio::posix::stream_descriptor> descriptor_;
  std::function<void()> on_readable_;
  std::shared_ptr<char> alive_ = std::make_shared<char>();
};

}  // namespace

void AsioWorkerLoop::post(std::function<void()> fn) {
  boost::asio::post(context_, std::move(fn));
}

std::unique_ptr<ReadableWatch> AsioWorkerLoop::watch_readable(int fd,
                                                              std::function<void()> on_readable) {
  if (udp_.is_open() && fd == udp_.native_handle()) {
    return std::make_unique<AsioReadableWatch>(context_, udp_, std::move(on_readable));
  }
  return std::make_unique<AsioReadableWatch>(context_, fd, std::move(on_readable));
}

}  // namespace sudachi::relay::asio_backend

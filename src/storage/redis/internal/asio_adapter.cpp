#include "storage/redis/internal/asio_adapter.hpp"

#include <hiredis/async.h>

#include <boost/asio/posix/stream_descriptor.hpp>

#include <memory>
#include <utility>

namespace sudachi::storage::redis::internal {
namespace {

namespace asio = boost::asio;

struct AdapterState {
  explicit AdapterState(asio::io_context& io) : descriptor(io) {}

  redisAsyncContext* context = nullptr;
  asio::posix::stream_descriptor descriptor;
  bool alive = true;
  // What hiredis currently wants, and whether a wait for it is outstanding. A wait that is no
  // longer wanted is not cancelled (cancel() would cancel both directions); its completion is
  // simply ignored.
  bool want_read = false;
  bool want_write = false;
  bool read_armed = false;
  bool write_armed = false;
  std::function<void()> on_cleanup;
};
using StatePtr = std::shared_ptr<AdapterState>;

void arm_read(const StatePtr& state);
void arm_write(const StatePtr& state);

void arm_read(const StatePtr& state) {
  if (!state->alive || state->read_armed || !state->want_read) return;
  state->read_armed = true;
  state->descriptor.async_wait(asio::posix::descriptor_base::wait_read,
                               [state](const boost::system::error_code& ec) {
                                 state->read_armed = false;
                                 if (!state->alive || ec == asio::error::operation_aborted) return;
                                 // Other errors too: hiredis' read then sees the socket's error
                                 // and disconnects cleanly.
                                 if (state->want_read) redisAsyncHandleRead(state->context);
                                 arm_read(state);  // no-op if the context was freed meanwhile
                               });
}

void arm_write(const StatePtr& state) {
  if (!state->alive || state->write_armed || !state->want_write) return;
  state->write_armed = true;
  state->descriptor.async_wait(asio::posix::descriptor_base::wait_write,
                               [state](const boost::system::error_code& ec) {
                                 state->write_armed = false;
                                 if (!state->alive || ec == asio::error::operation_aborted) return;
                                 if (state->want_write) redisAsyncHandleWrite(state->context);
                                 arm_write(state);
                               });
}

StatePtr& state_of(void* privdata) {
  return *static_cast<StatePtr*>(privdata);
}

void add_read(void* privdata) {
  StatePtr& state = state_of(privdata);
  state->want_read = true;
  arm_read(state);
}

void del_read(void* privdata) {
  state_of(privdata)->want_read = false;
}

void add_write(void* privdata) {
  StatePtr& state = state_of(privdata);
  state->want_write = true;
  arm_write(state);
}

void del_write(void* privdata) {
  state_of(privdata)->want_write = false;
}

void cleanup(void* privdata) {
  // The heap-allocated shared_ptr handed to hiredis as ev.data; queued waits hold copies.
  std::unique_ptr<StatePtr> holder(static_cast<StatePtr*>(privdata));
  StatePtr state = *holder;
  state->alive = false;
  state->context = nullptr;
  // Deregisters the socket from epoll before hiredis closes it (a new connection may get the
  // same descriptor number) and aborts the pending waits. The descriptor is hiredis' to close.
  (void)state->descriptor.release();
  auto on_cleanup = std::move(state->on_cleanup);
  if (on_cleanup) on_cleanup();
}

}  // namespace

bool attach_to_asio(redisAsyncContext* context, asio::io_context& io,
                    std::function<void()> on_cleanup) {
  if (context == nullptr || context->ev.data != nullptr) return false;
  auto state = std::make_shared<AdapterState>(io);
  boost::system::error_code ec;
  state->descriptor.assign(context->c.fd, ec);
  if (ec) {
    (void)state->descriptor.release();
    return false;
  }
  state->context = context;
  state->on_cleanup = std::move(on_cleanup);

  context->ev.addRead = add_read;
  context->ev.delRead = del_read;
  context->ev.addWrite = add_write;
  context->ev.delWrite = del_write;
  context->ev.cleanup = cleanup;
  context->ev.data = new StatePtr(state);

  // A non-blocking connect completes (or fails) as writability; hiredis finishes it in
  // redisAsyncHandleWrite. Reads are wanted from the start, as hiredis' own adapters do.
  add_write(context->ev.data);
  add_read(context->ev.data);
  return true;
}

}  // namespace sudachi::storage::redis::internal

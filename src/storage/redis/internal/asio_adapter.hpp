#pragma once

#include <functional>

#include <boost/asio/io_context.hpp>

struct redisAsyncContext;

namespace sudachi::storage::redis::internal {

// Drives a hiredis async context from an Asio io_context: hiredis asks for read or write
// readiness through its addRead/delRead/addWrite/delWrite hooks, and we answer with
// async_wait on a stream_descriptor over hiredis' socket, calling redisAsyncHandleRead/Write
// when it is ready. Everything runs on the io_context's one thread.
//
// Lifetime: hiredis owns the socket and closes it itself; the descriptor is released (which
// also cancels pending waits, completing them with operation_aborted) in the cleanup hook,
// which hiredis calls while it frees the context. Waits still queued hold the adapter state by
// shared_ptr and see it marked dead, so no handler ever touches a freed context.
// `on_cleanup` runs synchronously inside that hiredis call: it must only record the fact
// (and post work), never call back into hiredis.
//
// False (nothing attached) if the context already has an adapter or the socket cannot be
// registered with the io_context; the caller then frees the context.
bool attach_to_asio(redisAsyncContext* context, boost::asio::io_context& io,
                    std::function<void()> on_cleanup);

}  // namespace sudachi::storage::redis::internal

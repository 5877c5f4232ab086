#pragma once

#include <functional>
#include <memory>

namespace sudachi::relay {

// A readiness wait on one file descriptor, created once by WorkerLoop::watch_readable. Each
// arm() or defer() runs the callback given there exactly once, on the worker's thread; re-arming
// costs no allocation, which is why the callback is registered once rather than passed per wait
// (the datagram loops re-arm after every batch).
//
// Destroying the watch cancels a pending wait (the callback is then not called) and does not
// close the fd, which stays its owner's. Worker's thread only.
class ReadableWatch {
 public:
  virtual ~ReadableWatch() = default;
  // Calls back once when the fd is readable. Readiness may be reported edge-triggered: the
  // callback must drain what it can, or defer() when it stops early, before it arms again.
  virtual void arm() = 0;
  // Calls back once after the handlers already queued on the worker: work left over after a
  // bounded round, which no readiness signal would announce again.
  virtual void defer() = 0;
};

// The worker's event loop as the UDP datapath sees it: one thread, its queued work and the
// readiness of fds. The Asio back end implements it over its io_context (AsioWorkerLoop), so a
// datapath written against it (io_uring) needs no Asio. Owned by the worker and outliving
// every UdpIo it created.
class WorkerLoop {
 public:
  virtual ~WorkerLoop() = default;
  // Thread-safe: runs `fn` on the worker's thread after the handlers already queued. For rare
  // work (start-up); the per-datagram path uses ReadableWatch, which allocates nothing.
  virtual void post(std::function<void()> fn) = 0;
  // Worker's thread, or before the worker runs: a watch on `fd` calling `on_readable`.
  virtual std::unique_ptr<ReadableWatch> watch_readable(int fd,
                                                        std::function<void()> on_readable) = 0;
};

}  // namespace sudachi::relay

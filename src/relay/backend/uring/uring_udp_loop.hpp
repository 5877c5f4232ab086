#pragma once

#include <liburing.h>
#include <sys/socket.h>

#include <array>
#include <cstdint>
#include <memory>

#include "relay/datagram_handler.hpp"
#include "relay/udp_io.hpp"
#include "relay/worker_loop.hpp"
#include "relay/worker_stats.hpp"

namespace sudachi::relay::uring_backend {

// A worker's UDP datapath on io_uring. One multishot recvmsg keeps receiving into a ring of
// provided buffers (registered once: no allocation and no syscall per datagram). Completions
// are reaped in batches when the ring's fd turns readable in the worker's loop; every
// reply and forwarded datagram of a batch becomes a sendmsg SQE, and one io_uring_submit sends
// them all (with --sqpoll, not even that is a syscall). A forwarded datagram is sent straight
// from the buffer it arrived in, which returns to the ring when its last send is done with it.
// Sends in flight are bounded by a fixed slot pool; when it is empty, or the kernel answers EAGAIN,
// the datagram is dropped (UDP semantics), never queued. TCP and timers stay on Asio: TCP
// already moves bytes with splice(2).
//
// Without --sqpoll, sends carry IOSQE_CQE_SKIP_SUCCESS: a successful send posts no completion
// (one CQE per forwarded datagram instead of two), and its slot and receive buffer are released
// as soon as io_uring_submit has handed the SQE to the kernel (see release_submitted() for why
// that is safe). A failed send still posts a CQE, counted as send_failed.
//
// Without --sqpoll the ring is also set up IORING_SETUP_SINGLE_ISSUER | DEFER_TASKRUN when the
// kernel accepts it (6.1+): receive completions then run in this thread's own io_uring_enter
// instead of interrupting it as task work. Such a ring's fd does not turn readable when
// completions are pending (they are not posted until we ask), so the worker's loop then waits
// on an eventfd registered with the ring, which the kernel signals when work is queued. Older
// kernels fall back to the plain ring, polled through its fd.
//
// It knows the worker only as a WorkerLoop and the socket only as an fd: this library does not
// link Asio (scripts/check-layering.sh keeps it so).
class UringUdpLoop final : public UdpIo {
 public:
  static constexpr unsigned kBuffers = 512;      // power of two
  static constexpr std::size_t kPayload = 2048;  // > wire::kMaxDatagram: MSG_TRUNC means oversized
  static constexpr unsigned kBatch = 64;

  // Throws std::system_error when io_uring is unavailable (start-up only).
  UringUdpLoop(WorkerLoop& loop, UdpSocket socket, DatagramHandler& handler, WorkerStats& stats,
               bool sqpoll);
  ~UringUdpLoop() override;

  void start() override;
  void send_now(const UdpSend& send) override;

 private:
  static constexpr std::size_t kBufferSize =
      sizeof(io_uring_recvmsg_out) + sizeof(sockaddr_storage) + kPayload;
  static constexpr unsigned kSendSlots = 1024;

  // One send in flight: its msghdr must live until the completion.
  struct SendSlot {
    msghdr msg{};
    iovec iov{};
    sockaddr_storage to{};
    std::array<std::uint8_t, DatagramHandler::kScratchSize> copy{};  // a reply composed in scratch
    int buffer_id = -1;  // the receive buffer a forwarded datagram is sent from
  };

  void arm_receive();
  io_uring_sqe* next_sqe();
  void on_ready();
  void on_receive(const io_uring_cqe& cqe, std::int64_t now_ms, std::int64_t now_unix_ms,
                  unsigned index);
  void on_sent(const io_uring_cqe& cqe);
  void submit_send(const UdpSend& send);
  void release_buffer(int id);
  void recycle_buffers();
  void submit();
  void enable_on_worker();
  void finish_wake(bool more);
  void release_submitted();
  void commit_sent();

  WorkerLoop& loop_;
  int socket_fd_;
  DatagramHandler& handler_;
  WorkerStats& stats_;
  bool v6_socket_;
  io_uring ring_{};
  io_uring_buf_ring* buffer_ring_ = nullptr;
  std::size_t buffer_ring_bytes_ = 0;
  std::unique_ptr<std::uint8_t[]> buffers_;
  std::unique_ptr<std::uint16_t[]> buffer_refs_;  // sends still reading each receive buffer
  msghdr receive_template_{};
  // What the worker's loop waits on: the ring's fd, or with DEFER_TASKRUN the eventfd
  // registered with it. The watch calls on_ready(); registered once, re-armed per wake.
  int wait_fd_ = -1;
  std::unique_ptr<ReadableWatch> ready_;
  bool defer_taskrun_ = false;
  // The start-up handler posted to the worker checks this: the worker may destroy us first.
  std::shared_ptr<char> alive_ = std::make_shared<char>();

  std::unique_ptr<SendSlot[]> slots_;
  std::unique_ptr<std::uint16_t[]> free_slots_;  // a stack of free slot indexes
  unsigned free_count_ = 0;
  std::unique_ptr<std::uint16_t[]> recycle_;  // buffer ids to hand back after this batch
  unsigned recycle_count_ = 0;
  bool rearm_ = false;

  // CQE-skipping sends (off with --sqpoll, where the kernel thread issues SQEs later).
  bool skip_send_cqes_ = false;
  std::unique_ptr<std::uint16_t[]> submitted_;  // slots whose SQE may not be issued yet
  unsigned submitted_count_ = 0;
  // Sends issued without a failure seen yet: counted as sent once the CQ has been drained past
  // the submit that issued them (a failure's CQE is posted before io_uring_submit returns).
  std::uint64_t unconfirmed_packets_ = 0;
  std::uint64_t unconfirmed_bytes_ = 0;

  struct Batch {
    std::array<io_uring_cqe*, kBatch> cqes;
    std::array<std::array<std::uint8_t, DatagramHandler::kScratchSize>, kBatch> scratch;
  };
  std::unique_ptr<Batch> batch_;
};

// The factory for AsioRelay: io_uring UDP on every worker.
UdpIoFactory uring_udp_io(bool sqpoll);

// Whether this kernel and sandbox allow io_uring with multishot receive and buffer rings.
bool uring_available();

}  // namespace sudachi::relay::uring_backend

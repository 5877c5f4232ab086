#include "relay/backend/uring/uring_udp_loop.hpp"

#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>

#include <cerrno>
#include <cstring>
#include <system_error>

#include "relay/now.hpp"

namespace sudachi::relay::uring_backend {
namespace {

constexpr int kBufferGroup = 0;
constexpr std::uint64_t kReceiveTag = 1;
constexpr std::uint64_t kSendTagBase = 2;  // + slot index
// A send that skips its success CQE: only a failure completes, after its slot is reused, so the
// tag carries what the failure needs to know (the byte count) instead of a slot index.
constexpr std::uint64_t kSkippedSendTag = std::uint64_t{1} << 63;
constexpr int kRoundsPerWake = 16;

[[noreturn]] void fail(int error, const char* what) {
  throw std::system_error(error, std::system_category(), what);
}

// liburing 2.3 (Debian bookworm) declares io_uring_enable_rings but its .so does not export it;
// IORING_REGISTER_ENABLE_RINGS itself is in its io_uring.h.
int enable_rings(int ring_fd) {
  return ::syscall(__NR_io_uring_register, ring_fd, IORING_REGISTER_ENABLE_RINGS, nullptr, 0) < 0
             ? -errno
             : 0;
}

}  // namespace

UringUdpLoop::UringUdpLoop(WorkerLoop& loop, UdpSocket socket, DatagramHandler& handler,
                           WorkerStats& stats, bool sqpoll)
    : loop_(loop),
      socket_fd_(socket.fd),
      handler_(handler),
      stats_(stats),
      v6_socket_(socket.v6),
      batch_(std::make_unique<Batch>()) {
  static_assert(kSendSlots < 0xFFFF && kBuffers < 0xFFFF);
  io_uring_params params{};
  if (sqpoll) {
    params.flags |= IORING_SETUP_SQPOLL;
    params.sq_thread_idle = 1000;
  } else {
    // DEFER_TASKRUN requires SINGLE_ISSUER, whose issuer is the task that creates the ring or,
    // with R_DISABLED, the one that enables it: this constructor runs on the main thread, the
    // loop on the worker's, so the ring starts disabled and enable_on_worker() enables it there.
    // TASKRUN_FLAG makes the kernel set IORING_SQ_TASKRUN while completions wait to be run.
    params.flags = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN |
                   IORING_SETUP_TASKRUN_FLAG | IORING_SETUP_R_DISABLED;
    if (io_uring_queue_init_params(256, &ring_, &params) == 0) {
      defer_taskrun_ = true;
    } else {
      params = {};  // before 6.1 (EINVAL): the plain ring, polled through its fd
    }
  }
  if (!defer_taskrun_) {
    if (int e = io_uring_queue_init_params(256, &ring_, &params); e < 0)
      fail(-e, "io_uring_queue_init");
  }
  // With SQPOLL the kernel thread issues SQEs after io_uring_submit returns, so a send's buffer
  // cannot be released at submit time: keep one completion per send there.
  skip_send_cqes_ = !sqpoll && (params.features & IORING_FEAT_CQE_SKIP) != 0;

  // The provided-buffer ring: page-aligned memory the kernel picks receive buffers from.
  buffer_ring_bytes_ = kBuffers * sizeof(io_uring_buf);
  void* mem = ::mmap(nullptr, buffer_ring_bytes_, PROT_READ | PROT_WRITE,
                     MAP_ANONYMOUS | MAP_PRIVATE, -1, 0);
  if (mem == MAP_FAILED) fail(errno, "mmap buffer ring");
  buffer_ring_ = static_cast<io_uring_buf_ring*>(mem);
  io_uring_buf_ring_init(buffer_ring_);
  io_uring_buf_reg reg{};
  reg.ring_addr = reinterpret_cast<std::uint64_t>(buffer_ring_);
  reg.ring_entries = kBuffers;
  reg.bgid = kBufferGroup;
  if (int e = io_uring_register_buf_ring(&ring_, &reg, 0); e < 0)
    fail(-e, "io_uring_register_buf_ring");
  buffers_ = std::make_unique<std::uint8_t[]>(kBuffers * kBufferSize);
  buffer_refs_ = std::make_unique<std::uint16_t[]>(kBuffers);
  recycle_ = std::make_unique<std::uint16_t[]>(kBuffers);
  slots_ = std::make_unique<SendSlot[]>(kSendSlots);
  free_slots_ = std::make_unique<std::uint16_t[]>(kSendSlots);
  submitted_ = std::make_unique<std::uint16_t[]>(kSendSlots);
  for (unsigned i = 0; i < kSendSlots; ++i)
    free_slots_[free_count_++] = static_cast<std::uint16_t>(kSendSlots - 1 - i);
  const int mask = io_uring_buf_ring_mask(kBuffers);
  for (unsigned i = 0; i < kBuffers; ++i) {
    io_uring_buf_ring_add(buffer_ring_, buffers_.get() + i * kBufferSize, kBufferSize,
                          static_cast<unsigned short>(i), mask, static_cast<int>(i));
  }
  io_uring_buf_ring_advance(buffer_ring_, kBuffers);

  // Multishot recvmsg lays each datagram out as io_uring_recvmsg_out, the name, then payload.
  receive_template_.msg_namelen = sizeof(sockaddr_storage);
  if (defer_taskrun_) {
    // Checked on 6.18: with DEFER_TASKRUN, epoll on the ring fd never reports a received
    // datagram, while an eventfd registered with the ring is signalled when its completion is
    // queued as local work (and again when CQEs are posted, which finish_wake() suppresses).
    const int efd = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (efd < 0) fail(errno, "eventfd");
    if (int e = io_uring_register_eventfd(&ring_, efd); e < 0) {
      ::close(efd);
      fail(-e, "io_uring_register_eventfd");
    }
    wait_fd_ = efd;
  } else {
    wait_fd_ = ring_.ring_fd;
  }
  ready_ = loop_.watch_readable(wait_fd_, [this] { on_ready(); });
}

UringUdpLoop::~UringUdpLoop() {
  commit_sent();
  ready_.reset();  // cancels the wait; closes no fd (the ring's: io_uring_queue_exit closes it)
  io_uring_queue_exit(&ring_);
  if (defer_taskrun_) ::close(wait_fd_);  // the eventfd, unregistered with the ring
  if (buffer_ring_ != nullptr) ::munmap(buffer_ring_, buffer_ring_bytes_);
}

void UringUdpLoop::start() {
  if (!defer_taskrun_) {
    arm_receive();
    submit();
    ready_->arm();
    return;
  }
  // Called on the main thread before the worker's thread runs its loop.
  loop_.post([this, alive = std::weak_ptr<char>(alive_)] {
    if (alive.lock()) enable_on_worker();  // can only fail if the kernel broke its ABI: fatal
  });
}

void UringUdpLoop::enable_on_worker() {
  if (int e = enable_rings(ring_.ring_fd); e < 0) fail(-e, "IORING_REGISTER_ENABLE_RINGS");
  arm_receive();
  submit();
  ready_->arm();
}

io_uring_sqe* UringUdpLoop::next_sqe() {
  io_uring_sqe* sqe = io_uring_get_sqe(&ring_);
  if (sqe == nullptr) {  // submission queue full: hand what we have to the kernel first
    io_uring_submit(&ring_);
    sqe = io_uring_get_sqe(&ring_);
  }
  return sqe;
}

void UringUdpLoop::arm_receive() {
  io_uring_sqe* sqe = next_sqe();
  if (sqe == nullptr) return;  // retried after the next completion batch
  io_uring_prep_recvmsg_multishot(sqe, socket_fd_, &receive_template_, 0);
  sqe->flags |= IOSQE_BUFFER_SELECT;
  sqe->buf_group = kBufferGroup;
  io_uring_sqe_set_data64(sqe, kReceiveTag);
  rearm_ = false;
}

void UringUdpLoop::on_ready() {
  Batch& b = *batch_;
  if (defer_taskrun_) {
    // No signals for the CQEs we post ourselves below; reset the eventfd (the loop may watch
    // it level-triggered), then run the queued completions: they become CQEs.
    io_uring_cq_eventfd_toggle(&ring_, false);
    std::uint64_t count;
    [[maybe_unused]] const auto r = ::read(wait_fd_, &count, sizeof count);
    io_uring_get_events(&ring_);
  }
  bool more = true;
  for (int round = 0; round < kRoundsPerWake; ++round) {
    const unsigned n = io_uring_peek_batch_cqe(&ring_, b.cqes.data(), kBatch);
    if (n == 0) {
      // Every failure CQE of every earlier submit has been seen: the rest were sent.
      commit_sent();
      more = false;
      break;
    }
    const std::int64_t now_ms = steady_now_ms(), now_unix_ms = unix_now_ms();  // once per batch
    for (unsigned i = 0; i < n; ++i) {
      const io_uring_cqe& cqe = *b.cqes[i];
      if (io_uring_cqe_get_data64(&cqe) == kReceiveTag) {
        on_receive(cqe, now_ms, now_unix_ms, i);
      } else {
        on_sent(cqe);
      }
    }
    io_uring_cq_advance(&ring_, n);
    recycle_buffers();
    if (rearm_) arm_receive();
    submit();  // every send of the batch (and a re-armed receive) in one go
  }
  finish_wake(more);
}

void UringUdpLoop::finish_wake(bool more) {
  if (defer_taskrun_) {
    io_uring_cq_eventfd_toggle(&ring_, true);
    // Work queued while the eventfd was off signalled nothing, but set IORING_SQ_TASKRUN (the
    // kernel sets the flag, then checks the eventfd's state; we the reverse: a full fence each).
    std::atomic_thread_fence(std::memory_order_seq_cst);
    if ((IO_URING_READ_ONCE(*ring_.sq.kflags) & IORING_SQ_TASKRUN) != 0) more = true;
  }
  if (more || io_uring_cq_ready(&ring_) > 0) {
    // Left over after kRoundsPerWake rounds: come back after the other handlers, without
    // waiting for a signal that will not come (the loop's epoll may be edge-triggered).
    ready_->defer();
  } else {
    ready_->arm();
  }
}

void UringUdpLoop::submit() {
  // With DEFER_TASKRUN, the same io_uring_enter also runs completions queued since the last
  // one, so the next peek sees datagrams that arrived while this batch was handled.
  if (defer_taskrun_) {
    io_uring_submit_and_get_events(&ring_);
  } else {
    io_uring_submit(&ring_);
  }
  if (submitted_count_ == 0) return;
  // With IOSQE_CQE_SKIP_SUCCESS nothing tells us when a send is done with its buffer, so this
  // relies on when the kernel reads it. Without SQPOLL, io_uring_enter issues each consumed SQE
  // inline (io_submit_sqes -> io_queue_sqe -> io_issue_sqe with IO_URING_F_NONBLOCK) before it
  // returns, and we set neither IOSQE_ASYNC, links nor drain, which would defer the issue. The
  // sendmsg prep copies the msghdr, and UDP's sendmsg copies the payload into an skb
  // (ip_append_data / ip_make_skb) before returning. It cannot be parked for a retry either:
  // MSG_DONTWAIT makes the prep set REQ_F_NOWAIT, so -EAGAIN fails the request (a CQE: a failure
  // clears CQE_SKIP) instead of arming poll. So once the kernel has consumed an SQE, neither its
  // msghdr, its address nor its payload is read again. An SQE the kernel did not consume (a
  // short submit: -EAGAIN/-EBUSY, request allocation failure) is still in the SQ ring and will be
  // read later: then everything is kept until a later submit leaves the SQ ring empty.
  if (io_uring_sq_ready(&ring_) == 0) {
    release_submitted();
    recycle_buffers();
  }
}

void UringUdpLoop::release_submitted() {
  for (unsigned i = 0; i < submitted_count_; ++i) {
    const std::uint16_t index = submitted_[i];
    SendSlot& slot = slots_[index];
    ++unconfirmed_packets_;
    unconfirmed_bytes_ += slot.iov.iov_len;
    if (slot.buffer_id >= 0) release_buffer(slot.buffer_id);
    slot.buffer_id = -1;
    free_slots_[free_count_++] = index;
  }
  submitted_count_ = 0;
}

void UringUdpLoop::commit_sent() {
  if (unconfirmed_packets_ == 0) return;
  constexpr auto udp = static_cast<std::size_t>(Transport::udp);
  constexpr auto out = static_cast<std::size_t>(Direction::out);
  stats_.packets[udp][out].add(unconfirmed_packets_);
  stats_.bytes[udp][out].add(unconfirmed_bytes_);
  unconfirmed_packets_ = 0;
  unconfirmed_bytes_ = 0;
}

void UringUdpLoop::on_receive(const io_uring_cqe& cqe, std::int64_t now_ms,
                              std::int64_t now_unix_ms, unsigned index) {
  if (!(cqe.flags & IORING_CQE_F_MORE)) rearm_ = true;  // multishot ended (e.g. out of buffers)
  if (!(cqe.flags & IORING_CQE_F_BUFFER)) return;
  const int id = static_cast<int>(cqe.flags >> IORING_CQE_BUFFER_SHIFT);
  ++buffer_refs_[id];  // held while the handler looks at it
  std::uint8_t* buf = buffers_.get() + static_cast<std::size_t>(id) * kBufferSize;
  io_uring_recvmsg_out* out =
      cqe.res > 0 ? io_uring_recvmsg_validate(buf, cqe.res, &receive_template_) : nullptr;
  if (out != nullptr) {
    const socklen_t name_len = std::min<socklen_t>(out->namelen, sizeof(sockaddr_storage));
    const Endpoint from =
        Endpoint::from_sockaddr(static_cast<const sockaddr*>(io_uring_recvmsg_name(out)), name_len);
    auto* payload = static_cast<std::uint8_t*>(io_uring_recvmsg_payload(out, &receive_template_));
    const auto length = io_uring_recvmsg_payload_length(out, cqe.res, &receive_template_);
    DatagramHandler::Actions actions;
    handler_.on_datagram({payload, length}, (out->flags & MSG_TRUNC) != 0, from, now_ms,
                         now_unix_ms, DatagramHandler::Scratch{batch_->scratch[index]}, actions);
    for (std::size_t k = 0; k < actions.count; ++k) submit_send(actions.sends[k]);
  }
  release_buffer(id);
}

void UringUdpLoop::submit_send(const UdpSend& send) {
  if (free_count_ == 0) return stats_.drop(Drop::send_failed);  // bounded: never queue more
  io_uring_sqe* sqe = next_sqe();
  if (sqe == nullptr) return stats_.drop(Drop::send_failed);
  const std::uint16_t index = free_slots_[--free_count_];
  SendSlot& slot = slots_[index];
  const std::uint8_t* base = buffers_.get();
  if (send.data >= base && send.data < base + std::size_t{kBuffers} * kBufferSize) {
    // Zero copy: send from the receive buffer, which stays out of the ring until completion.
    slot.buffer_id = static_cast<int>(static_cast<std::size_t>(send.data - base) / kBufferSize);
    ++buffer_refs_[slot.buffer_id];
    slot.iov = {const_cast<std::uint8_t*>(send.data), send.size};
  } else {
    // A reply composed in the batch's scratch, which the next batch reuses: keep a copy.
    slot.buffer_id = -1;
    const std::size_t n = std::min(send.size, slot.copy.size());
    std::memcpy(slot.copy.data(), send.data, n);
    slot.iov = {slot.copy.data(), n};
  }
  slot.msg = {};
  slot.msg.msg_name = &slot.to;
  slot.msg.msg_namelen = send.to.to_sockaddr(slot.to, v6_socket_);
  slot.msg.msg_iov = &slot.iov;
  slot.msg.msg_iovlen = 1;
  // MSG_DONTWAIT: a full socket buffer fails the send (counted) instead of parking it in the ring.
  io_uring_prep_sendmsg(sqe, socket_fd_, &slot.msg, MSG_DONTWAIT);
  if (skip_send_cqes_) {
    // No CQE on success; the slot (and its buffer) is released by submit() once issued.
    sqe->flags |= IOSQE_CQE_SKIP_SUCCESS;
    io_uring_sqe_set_data64(sqe, kSkippedSendTag | slot.iov.iov_len);
    submitted_[submitted_count_++] = index;
  } else {
    io_uring_sqe_set_data64(sqe, kSendTagBase + index);
  }
}

void UringUdpLoop::on_sent(const io_uring_cqe& cqe) {
  const std::uint64_t tag = io_uring_cqe_get_data64(&cqe);
  if ((tag & kSkippedSendTag) != 0) {
    // Only failures complete (res < 0; a UDP send is never short). Its slot was released at
    // submit and counted as unconfirmed: take it back out.
    if (cqe.res >= 0) return;
    stats_.drop(Drop::send_failed);
    if (unconfirmed_packets_ > 0) {  // 0 only if the CQE was delayed by a CQ overflow
      --unconfirmed_packets_;
      unconfirmed_bytes_ -= std::min(unconfirmed_bytes_, tag & ~kSkippedSendTag);
    }
    return;
  }
  if (tag < kSendTagBase || tag - kSendTagBase >= kSendSlots) return;
  const auto index = static_cast<std::uint16_t>(tag - kSendTagBase);
  SendSlot& slot = slots_[index];
  if (cqe.res < 0) {
    stats_.drop(Drop::send_failed);
  } else {
    stats_.packet(Transport::udp, Direction::out, slot.iov.iov_len);
  }
  if (slot.buffer_id >= 0) release_buffer(slot.buffer_id);
  slot.buffer_id = -1;
  free_slots_[free_count_++] = index;
}

void UringUdpLoop::release_buffer(int id) {
  if (--buffer_refs_[id] == 0) recycle_[recycle_count_++] = static_cast<std::uint16_t>(id);
}

void UringUdpLoop::recycle_buffers() {
  const int mask = io_uring_buf_ring_mask(kBuffers);
  for (unsigned i = 0; i < recycle_count_; ++i) {
    io_uring_buf_ring_add(buffer_ring_, buffers_.get() + std::size_t{recycle_[i]} * kBufferSize,
                          kBufferSize, recycle_[i], mask, static_cast<int>(i));
  }
  io_uring_buf_ring_advance(buffer_ring_, static_cast<int>(recycle_count_));
  recycle_count_ = 0;
}

void UringUdpLoop::send_now(const UdpSend& send) {
  sockaddr_storage to{};
  const socklen_t len = send.to.to_sockaddr(to, v6_socket_);
  if (::sendto(socket_fd_, send.data, send.size, MSG_DONTWAIT,
               reinterpret_cast<const sockaddr*>(&to), len) < 0) {
    stats_.drop(Drop::send_failed);
  } else {
    stats_.packet(Transport::udp, Direction::out, send.size);
  }
}

UdpIoFactory uring_udp_io(bool sqpoll) {
  return [sqpoll](WorkerLoop& loop, UdpSocket socket, DatagramHandler& handler,
                  WorkerStats& stats) -> std::unique_ptr<UdpIo> {
    return std::make_unique<UringUdpLoop>(loop, socket, handler, stats, sqpoll);
  };
}

bool uring_available() {
  io_uring ring{};
  if (io_uring_queue_init(4, &ring, 0) < 0) return false;
  io_uring_probe* probe = io_uring_get_probe_ring(&ring);
  const bool ok = probe != nullptr && io_uring_opcode_supported(probe, IORING_OP_RECVMSG);
  if (probe != nullptr) io_uring_free_probe(probe);
  io_uring_queue_exit(&ring);
  return ok;
}

}  // namespace sudachi::relay::uring_backend

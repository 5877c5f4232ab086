#include "relay/backend/uring/uring_udp_loop.hpp"

#include <sys/mman.h>

#include <cerrno>
#include <cstring>
#include <system_error>

#include "relay/now.hpp"

namespace sudachi::relay::uring_backend {
namespace {

constexpr int kBufferGroup = 0;
constexpr std::uint64_t kReceiveTag = 1;
constexpr std::uint64_t kSendTagBase = 2;  // + slot index
constexpr int kRoundsPerWake = 16;

[[noreturn]] void fail(int error, const char* what) { throw std::system_error(error, std::system_category(), what); }

}  // namespace

UringUdpLoop::UringUdpLoop(boost::asio::io_context& context, boost::asio::ip::udp::socket& socket,
                           DatagramHandler& handler, WorkerStats& stats, bool sqpoll)
    : socket_(socket),
      handler_(handler),
      stats_(stats),
      v6_socket_(socket.local_endpoint().address().is_v6()),
      ring_fd_(context),
      batch_(std::make_unique<Batch>()) {
  static_assert(kSendSlots < 0xFFFF && kBuffers < 0xFFFF);
  io_uring_params params{};
  if (sqpoll) {
    params.flags |= IORING_SETUP_SQPOLL;
    params.sq_thread_idle = 1000;
  }
  if (int e = io_uring_queue_init_params(256, &ring_, &params); e < 0) fail(-e, "io_uring_queue_init");

  // The provided-buffer ring: page-aligned memory the kernel picks receive buffers from.
  buffer_ring_bytes_ = kBuffers * sizeof(io_uring_buf);
  void* mem = ::mmap(nullptr, buffer_ring_bytes_, PROT_READ | PROT_WRITE, MAP_ANONYMOUS | MAP_PRIVATE, -1, 0);
  if (mem == MAP_FAILED) fail(errno, "mmap buffer ring");
  buffer_ring_ = static_cast<io_uring_buf_ring*>(mem);
  io_uring_buf_ring_init(buffer_ring_);
  io_uring_buf_reg reg{};
  reg.ring_addr = reinterpret_cast<std::uint64_t>(buffer_ring_);
  reg.ring_entries = kBuffers;
  reg.bgid = kBufferGroup;
  if (int e = io_uring_register_buf_ring(&ring_, &reg, 0); e < 0) fail(-e, "io_uring_register_buf_ring");
  buffers_ = std::make_unique<std::uint8_t[]>(kBuffers * kBufferSize);
  buffer_refs_ = std::make_unique<std::uint16_t[]>(kBuffers);
  recycle_ = std::make_unique<std::uint16_t[]>(kBuffers);
  slots_ = std::make_unique<SendSlot[]>(kSendSlots);
  free_slots_ = std::make_unique<std::uint16_t[]>(kSendSlots);
  for (unsigned i = 0; i < kSendSlots; ++i) free_slots_[free_count_++] = static_cast<std::uint16_t>(kSendSlots - 1 - i);
  const int mask = io_uring_buf_ring_mask(kBuffers);
  for (unsigned i = 0; i < kBuffers; ++i) {
    io_uring_buf_ring_add(buffer_ring_, buffers_.get() + i * kBufferSize, kBufferSize, static_cast<unsigned short>(i),
                          mask, static_cast<int>(i));
  }
  io_uring_buf_ring_advance(buffer_ring_, kBuffers);

  // Multishot recvmsg lays each datagram out as io_uring_recvmsg_out, the name, then payload.
  receive_template_.msg_namelen = sizeof(sockaddr_storage);
  ring_fd_.assign(ring_.ring_fd);
}

UringUdpLoop::~UringUdpLoop() {
  boost::system::error_code ignored;
  ring_fd_.cancel(ignored);
  ring_fd_.release();  // io_uring_queue_exit closes it
  io_uring_queue_exit(&ring_);
  if (buffer_ring_ != nullptr) ::munmap(buffer_ring_, buffer_ring_bytes_);
}

void UringUdpLoop::start() {
  arm_receive();
  io_uring_submit(&ring_);
  wait();
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
  io_uring_prep_recvmsg_multishot(sqe, socket_.native_handle(), &receive_template_, 0);
  sqe->flags |= IOSQE_BUFFER_SELECT;
  sqe->buf_group = kBufferGroup;
  io_uring_sqe_set_data64(sqe, kReceiveTag);
  rearm_ = false;
}

void UringUdpLoop::wait() {
  ring_fd_.async_wait(boost::asio::posix::descriptor_base::wait_read, [this](const boost::system::error_code& ec) {
    if (ec) return;  // cancelled: the worker is stopping
    on_ready();
    wait();
  });
}

void UringUdpLoop::on_ready() {
  Batch& b = *batch_;
  for (int round = 0; round < kRoundsPerWake; ++round) {
    const unsigned n = io_uring_peek_batch_cqe(&ring_, b.cqes.data(), kBatch);
    if (n == 0) break;
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
    io_uring_submit(&ring_);  // every send of the batch (and a re-armed receive) in one go
  }
}

void UringUdpLoop::on_receive(const io_uring_cqe& cqe, std::int64_t now_ms, std::int64_t now_unix_ms,
                              unsigned index) {
  if (!(cqe.flags & IORING_CQE_F_MORE)) rearm_ = true;  // multishot ended (e.g. out of buffers)
  if (!(cqe.flags & IORING_CQE_F_BUFFER)) return;
  const int id = static_cast<int>(cqe.flags >> IORING_CQE_BUFFER_SHIFT);
  ++buffer_refs_[id];  // held while the handler looks at it
  std::uint8_t* buf = buffers_.get() + static_cast<std::size_t>(id) * kBufferSize;
  io_uring_recvmsg_out* out = cqe.res > 0 ? io_uring_recvmsg_validate(buf, cqe.res, &receive_template_) : nullptr;
  if (out != nullptr) {
    const socklen_t name_len = std::min<socklen_t>(out->namelen, sizeof(sockaddr_storage));
    const Endpoint from = Endpoint::from_sockaddr(static_cast<const sockaddr*>(io_uring_recvmsg_name(out)), name_len);
    auto* payload = static_cast<std::uint8_t*>(io_uring_recvmsg_payload(out, &receive_template_));
    const auto length = io_uring_recvmsg_payload_length(out, cqe.res, &receive_template_);
    DatagramHandler::Actions actions;
    handler_.on_datagram({payload, length}, (out->flags & MSG_TRUNC) != 0, from, now_ms, now_unix_ms,
                         DatagramHandler::Scratch{batch_->scratch[index]}, actions);
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
  io_uring_prep_sendmsg(sqe, socket_.native_handle(), &slot.msg, MSG_DONTWAIT);
  io_uring_sqe_set_data64(sqe, kSendTagBase + index);
}

void UringUdpLoop::on_sent(const io_uring_cqe& cqe) {
  const std::uint64_t tag = io_uring_cqe_get_data64(&cqe);
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
    io_uring_buf_ring_add(buffer_ring_, buffers_.get() + std::size_t{recycle_[i]} * kBufferSize, kBufferSize,
                          recycle_[i], mask, static_cast<int>(i));
  }
  io_uring_buf_ring_advance(buffer_ring_, static_cast<int>(recycle_count_));
  recycle_count_ = 0;
}

void UringUdpLoop::send_now(const UdpSend& send) {
  sockaddr_storage to{};
  const socklen_t len = send.to.to_sockaddr(to, v6_socket_);
  if (::sendto(socket_.native_handle(), send.data, send.size, MSG_DONTWAIT, reinterpret_cast<const sockaddr*>(&to),
               len) < 0) {
    stats_.drop(Drop::send_failed);
  } else {
    stats_.packet(Transport::udp, Direction::out, send.size);
  }
}

asio_backend::UdpIoFactory uring_udp_io(bool sqpoll) {
  return [sqpoll](boost::asio::io_context& context, boost::asio::ip::udp::socket& socket, DatagramHandler& handler,
                  WorkerStats& stats) -> std::unique_ptr<asio_backend::UdpIo> {
    return std::make_unique<UringUdpLoop>(context, socket, handler, stats, sqpoll);
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

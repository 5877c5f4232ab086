#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "sudachi/mp.hpp"

// How events and datagrams get from the client's I/O thread to the application: either
// straight to the callback handler on the I/O thread, or through a queue that poll() drains on
// the application's thread. Call completions run where their call_done event is delivered.
//
// Thread-safe: the I/O thread produces, any thread polls. The datagram queue is bounded (a
// game that stops polling loses datagrams, counted, instead of growing memory); events are
// rare and bounded far higher, with the same policy.
namespace sudachi::client {

class Delivery {
 public:
  Delivery(std::shared_ptr<mp::Handler> callbacks, std::size_t max_datagrams);

  void add_completion(mp::RequestId id, mp::Completion done);
  void event(mp::Event event);
  void datagram(std::string_view peer, std::span<const std::byte> data);

  std::size_t poll(mp::Handler& handler, std::size_t max_items);
  bool wait(std::chrono::milliseconds timeout);

  std::uint64_t datagrams_dropped() const { return datagrams_dropped_.load(); }
  std::uint64_t events_dropped() const { return events_dropped_.load(); }

  static constexpr std::size_t kMaxQueuedEvents = 65'536;

 private:
  struct Datagram {
    std::string peer;
    std::vector<std::byte> data;
  };
  using Item = std::variant<mp::Event, Datagram>;

  mp::Completion take_completion(const mp::Event& event);

  const std::shared_ptr<mp::Handler> callbacks_;
  const std::size_t max_datagrams_;
  std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<Item> queue_;
  std::size_t queued_datagrams_ = 0;
  std::size_t queued_events_ = 0;
  std::map<mp::RequestId, mp::Completion> completions_;
  std::atomic<std::uint64_t> datagrams_dropped_{0};
  std::atomic<std::uint64_t> events_dropped_{0};
};

}  // namespace sudachi::client

#include "client/delivery.hpp"

#include <utility>

namespace sudachi::client {

Delivery::Delivery(std::shared_ptr<mp::Handler> callbacks, std::size_t max_datagrams)
    : callbacks_(std::move(callbacks)), max_datagrams_(max_datagrams) {}

void Delivery::add_completion(mp::RequestId id, mp::Completion done) {
  if (!done) return;
  std::lock_guard lock(mutex_);
  completions_.emplace(id, std::move(done));
}

mp::Completion Delivery::take_completion(const mp::Event& event) {
  if (event.type != mp::EventType::call_done) return {};
  std::lock_guard lock(mutex_);
  const auto it = completions_.find(event.request_id);
  if (it == completions_.end()) return {};
  mp::Completion done = std::move(it->second);
  completions_.erase(it);
  return done;
}

void Delivery::event(mp::Event event) {
  if (callbacks_) {
    callbacks_->on_event(event);
    if (auto done = take_completion(event)) done(event);
    return;
  }
  {
    std::lock_guard lock(mutex_);
    if (queued_events_ >= kMaxQueuedEvents) {
      events_dropped_.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    ++queued_events_;
    queue_.emplace_back(std::move(event));
  }
  ready_.notify_all();
}

void Delivery::datagram(std::string_view peer, std::span<const std::byte> data) {
  if (callbacks_) {
    callbacks_->on_datagram(peer, data);
    return;
  }
  {
    std::lock_guard lock(mutex_);
    if (queued_datagrams_ >= max_datagrams_) {
      datagrams_dropped_.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    ++queued_datagrams_;
    queue_.emplace_back(
        Datagram{std::string(peer), std::vector<std::byte>(data.begin(), data.end())});
  }
  ready_.notify_all();
}

std::size_t Delivery::poll(mp::Handler& handler, std::size_t max_items) {
  // Items are taken under the lock and handed over outside it, so a handler may call back
  // into the client (send, calls) without deadlocking against the I/O thread.
  std::deque<Item> batch;
  {
    std::lock_guard lock(mutex_);
    while (!queue_.empty() && batch.size() < max_items) {
      if (std::holds_alternative<Datagram>(queue_.front())) {
        --queued_datagrams_;
      } else {
        --queued_events_;
      }
      batch.push_back(std::move(queue_.front()));
      queue_.pop_front();
    }
  }
  for (auto& item : batch) {
    if (auto* d = std::get_if<Datagram>(&item)) {
      handler.on_datagram(d->peer, d->data);
    } else {
      const mp::Event& event = std::get<mp::Event>(item);
      handler.on_event(event);
      if (auto done = take_completion(event)) done(event);
    }
  }
  return batch.size();
}

bool Delivery::wait(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  return ready_.wait_for(lock, timeout, [this] { return !queue_.empty(); });
}

}  // namespace sudachi::client

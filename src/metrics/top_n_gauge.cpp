#include "metrics/top_n_gauge.hpp"

namespace sudachi::metrics {

TopNGauge::TopNGauge(Family<Gauge> family, std::size_t limit, std::string other_label)
    : family_(std::move(family)), limit_(limit), other_label_(std::move(other_label)) {}

void TopNGauge::add(const std::string& value, std::int64_t delta) {
  if (delta == 0) return;
  std::lock_guard lock(mutex_);
  auto it = counts_.find(value);
  const std::int64_t before = it == counts_.end() ? 0 : it->second;
  std::int64_t after = before + delta;
  if (after < 0) {
    unmatched_ += after;  // what no creation here accounts for
    after = 0;
  }
  if (before > 0) ranked_.erase({before, value});
  if (after > 0) {
    ranked_.insert({after, value});
    if (it == counts_.end()) {
      counts_.emplace(value, after);
    } else {
      it->second = after;
    }
  } else if (it != counts_.end()) {
    counts_.erase(it);
  }
  positive_total_ += after - before;
  publish();
}

void TopNGauge::publish() {
  std::map<std::string, std::int64_t> want;
  std::int64_t top_total = 0;
  for (const auto& [count, value] : ranked_) {
    if (want.size() == limit_) break;
    want.emplace(value, count);
    top_total += count;
  }
  const std::int64_t other = positive_total_ - top_total + unmatched_;
  if (other != 0) want[other_label_] = other;

  for (const auto& [label, previous] : published_) {
    if (!want.contains(label)) family_.remove({label});
  }
  for (const auto& [label, v] : want) {
    auto old = published_.find(label);
    if (old == published_.end() || old->second != v)
      family_.with({label}).set(static_cast<double>(v));
  }
  published_ = std::move(want);
}

std::int64_t TopNGauge::count(const std::string& value) const {
  std::lock_guard lock(mutex_);
  auto it = counts_.find(value);
  return it == counts_.end() ? 0 : it->second;
}

std::map<std::string, std::int64_t> TopNGauge::exported() const {
  std::lock_guard lock(mutex_);
  return published_;
}

}  // namespace sudachi::metrics

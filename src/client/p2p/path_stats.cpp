#include "client/p2p/path_stats.hpp"

namespace sudachi::client::p2p {

void LossWindow::sent(std::uint64_t seq, std::int64_t now_ms) {
  slots_[next_] = Slot{seq, now_ms, false};
  next_ = (next_ + 1) % kSize;
}

void LossWindow::answered(std::uint64_t seq) {
  for (Slot& s : slots_) {
    if (s.seq == seq) {
      s.answered = true;
      return;
    }
  }
}

double LossWindow::loss(std::int64_t now_ms, std::int64_t timeout_ms) const {
  int counted = 0, lost = 0;
  for (const Slot& s : slots_) {
    if (s.seq == 0) continue;
    if (s.answered) {
      ++counted;
    } else if (now_ms - s.sent_ms >= timeout_ms) {
      ++counted;
      ++lost;
    }
  }
  return counted == 0 ? 0.0 : static_cast<double>(lost) / counted;
}

}  // namespace sudachi::client::p2p

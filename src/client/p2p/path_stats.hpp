#pragma once

#include <array>
#include <cstdint>

// Round-trip time and loss of one peer's path, from the authenticated echo probes
// (CHECK/CHECK_ACK) that the session sends anyway as keepalives.
namespace sudachi::client::p2p {

// Smoothed RTT as in RFC 6298 (alpha 1/8), seeded by the first sample.
class RttEstimator {
 public:
  void sample(double rtt_ms) {
    srtt_ = has_ ? srtt_ + (rtt_ms - srtt_) / 8 : rtt_ms;
    has_ = true;
  }
  double srtt_ms() const { return has_ ? srtt_ : 0; }
  bool has_sample() const { return has_; }
  void reset() { has_ = false; }

 private:
  double srtt_ = 0;
  bool has_ = false;
};

// Loss over the last 64 keepalive probes: a probe counts once it was answered or once it is
// older than the answer timeout; loss = unanswered / counted.
class LossWindow {
 public:
  static constexpr int kSize = 64;
  void sent(std::uint64_t seq, std::int64_t now_ms);
  void answered(std::uint64_t seq);
  double loss(std::int64_t now_ms, std::int64_t timeout_ms) const;
  void reset() { slots_ = {}; }

 private:
  struct Slot {
    std::uint64_t seq = 0;  // 0: empty
    std::int64_t sent_ms = 0;
    bool answered = false;
  };
  std::array<Slot, kSize> slots_{};
  int next_ = 0;
};

}  // namespace sudachi::client::p2p

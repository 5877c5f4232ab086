#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

// An HDR-style latency histogram: exact below 64 ns, then 32 linear sub-buckets per power of
// two, so every value keeps about 3% relative precision up to about 2^40 ns (18 minutes).
// Fixed size, no allocation: record() is safe inside the load loop.
namespace sudachi::bench {

class LatencyHistogram {
 public:
  static constexpr int kLinear = 64;    // values below are exact
  static constexpr int kHalf = 32;      // sub-buckets per power of two above
  static constexpr int kMaxShift = 35;  // 64 << 35 ns = ~36 min: beyond, the last bucket
  static constexpr std::size_t kBuckets = kLinear + static_cast<std::size_t>(kMaxShift) * kHalf;

  void record(std::uint64_t ns) {
    ++counts_[index_of(ns)];
    ++total_;
    if (ns > max_) max_ = ns;
  }
  void reset() { *this = LatencyHistogram{}; }
  void merge(const LatencyHistogram& other);

  std::uint64_t count() const { return total_; }
  std::uint64_t max() const { return max_; }
  // The value at quantile q (0..1): the upper edge of the bucket holding it, capped at max.
  std::uint64_t quantile(double q) const;

  static std::size_t index_of(std::uint64_t v) {
    if (v < kLinear) return static_cast<std::size_t>(v);
    const int msb = 63 - __builtin_clzll(v);  // >= 6
    const int shift = msb - 5;                // >= 1: v >> shift is in [32, 64)
    if (shift > kMaxShift) return kBuckets - 1;
    return kLinear + static_cast<std::size_t>(shift - 1) * kHalf +
           static_cast<std::size_t>((v >> shift) - kHalf);
  }
  static std::uint64_t upper_edge(std::size_t index) {
    if (index < kLinear) return index;
    const std::size_t k = index - kLinear;
    const int shift = static_cast<int>(k / kHalf) + 1;
    const std::uint64_t sub = kHalf + k % kHalf;
    return ((sub + 1) << shift) - 1;
  }

 private:
  std::array<std::uint64_t, kBuckets> counts_{};
  std::uint64_t total_ = 0;
  std::uint64_t max_ = 0;
};

}  // namespace sudachi::bench

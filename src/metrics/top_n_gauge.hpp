#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <unordered_map>
#include <utility>

#include "metrics/registry.hpp"

namespace sudachi::metrics {

// A one-label gauge family whose label values come from clients (rooms by game id) with a
// bounded number of series. Counts are kept exactly, per value; what is exported is:
//   - one series for each of the `limit` values with the largest positive counts (ties go to
//     the smaller value, so the choice is deterministic);
//   - one `other_label` series with the sum of every other count, present while non-zero;
//   - nothing for a value that left the top or whose count reached zero: its series is
//     dropped, so series do not pile up for values that are gone.
// Taking a value below zero (a room created on another instance and closed on this one) is
// not kept per value: it is summed into `other`, so the total over all series stays right and
// the map holds only positive counts (bounded by what is open, not by what ever was).
// Thread-safe: add() may run on any thread.
class TopNGauge {
 public:
  TopNGauge(Family<Gauge> family, std::size_t limit, std::string other_label = "other");

  void add(const std::string& value, std::int64_t delta);
  // The exact count of `value` (what add() made it; 0 when unknown), exported or not.
  std::int64_t count(const std::string& value) const;
  // The label values exported right now (`other_label` included when present), with values.
  std::map<std::string, std::int64_t> exported() const;

 private:
  // Largest count first, then the smaller value.
  struct Rank {
    bool operator()(const std::pair<std::int64_t, std::string>& a,
                    const std::pair<std::int64_t, std::string>& b) const {
      return a.first != b.first ? a.first > b.first : a.second < b.second;
    }
  };
  void publish();  // with mutex_ held

  Family<Gauge> family_;
  const std::size_t limit_;
  const std::string other_label_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, std::int64_t> counts_;  // positive counts only
  std::set<std::pair<std::int64_t, std::string>, Rank> ranked_;
  std::int64_t positive_total_ = 0;  // the sum of counts_
  std::int64_t unmatched_ = 0;       // decrements of values that had no count (<= 0)
  std::map<std::string, std::int64_t> published_;
};

}  // namespace sudachi::metrics

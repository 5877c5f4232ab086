#pragma once

#include <atomic>
#include <cstdint>
#include <initializer_list>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

// A small Prometheus client: counters, gauges and histograms, with or without labels, and the
// text exposition format 0.0.4. Updates are lock-free atomics; label lookup takes a mutex,
// so hot paths keep the child reference they looked up once.
namespace sudachi::metrics {

class Counter {
 public:
  // `v` must be >= 0 (a counter only goes up); a negative or NaN `v` is a programming error:
  // asserted in debug builds, ignored in release builds.
  void inc(double v = 1.0);
  double value() const;

 private:
  std::atomic<double> value_{0};
};

class Gauge {
 public:
  void set(double v);
  void inc(double v = 1.0);
  void dec(double v = 1.0);
  double value() const;

 private:
  std::atomic<double> value_{0};
};

class Histogram {
 public:
  // Upper bounds strictly increasing, no NaN; a trailing +Inf is implied and dropped if given.
  // Throws std::invalid_argument otherwise (start-up work).
  explicit Histogram(std::vector<double> upper_bounds);
  void observe(double v);
  // Cumulative counts per bucket (last is +Inf), sum, count.
  std::vector<std::uint64_t> cumulative_counts() const;
  double sum() const;
  std::uint64_t count() const;
  const std::vector<double>& bounds() const { return bounds_; }

 private:
  std::vector<double> bounds_;
  // Non-cumulative, size bounds+1. The count is their sum (no separate counter), so a scrape
  // racing an observe() still shows _count equal to the +Inf bucket.
  std::unique_ptr<std::atomic<std::uint64_t>[]> buckets_;
  std::atomic<double> sum_{0};
};

template <class Metric>
class Family {
 public:
  // The child for these label values (in the family's label-name order); created on first use.
  // The number of values must match the label names (asserted; padded or cut in release).
  // Children live as long as the registry: keep the reference on hot paths.
  Metric& with(const std::vector<std::string>& label_values);
  Metric& with(std::initializer_list<std::string> label_values) {
    return with(std::vector<std::string>(label_values));
  }
  // Drops the child for these label values from the exposition; false when there was none.
  // For families whose label values come and go (a bounded top-N, see top_n_gauge.hpp): the
  // caller must hold no reference to that child any more. A later with() starts a fresh one.
  bool remove(const std::vector<std::string>& label_values);
  // ...internals visible to Registry (see registry.cpp)
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

class Registry {
 public:
  Registry();
  ~Registry();
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  // Registration is start-up work: a duplicate or invalid name throws std::invalid_argument.
  Counter& counter(const std::string& name, const std::string& help);
  Gauge& gauge(const std::string& name, const std::string& help);
  Histogram& histogram(const std::string& name, const std::string& help,
                       std::vector<double> bounds);
  Family<Counter> counter_family(const std::string& name, const std::string& help,
                                 std::vector<std::string> label_names);
  Family<Gauge> gauge_family(const std::string& name, const std::string& help,
                             std::vector<std::string> label_names);
  Family<Histogram> histogram_family(const std::string& name, const std::string& help,
                                     std::vector<std::string> label_names,
                                     std::vector<double> bounds);

  // Prometheus text exposition (Content-Type: text/plain; version=0.0.4), label values escaped.
  std::string render() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace sudachi::metrics

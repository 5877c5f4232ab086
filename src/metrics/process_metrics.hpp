#pragma once

#include "metrics/registry.hpp"

namespace sudachi::metrics {

// The standard process_* metrics of Prometheus client libraries (start time, CPU, memory,
// open file descriptors), read from /proc/self on Linux. update() is called from a
// housekeeping thread, never from a network thread.
class ProcessMetrics {
 public:
  explicit ProcessMetrics(Registry& registry);
  void update();

 private:
  Gauge& start_time_;
  Counter& cpu_seconds_;
  Gauge& resident_bytes_;
  Gauge& virtual_bytes_;
  Gauge& open_fds_;
  double cpu_reported_ = 0;
};

}  // namespace sudachi::metrics

#include "metrics/process_metrics.hpp"

#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>

namespace sudachi::metrics {
namespace {

double now_unix_seconds() {
  using namespace std::chrono;
  return duration<double>(system_clock::now().time_since_epoch()).count();
}

double cpu_seconds() {
  rusage usage{};
  if (getrusage(RUSAGE_SELF, &usage) != 0) return 0;
  auto seconds = [](const timeval& t) { return static_cast<double>(t.tv_sec) + t.tv_usec / 1e6; };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

std::size_t count_open_fds() {
  std::error_code ec;
  std::size_t n = 0;
  for (auto it = std::filesystem::directory_iterator("/proc/self/fd", ec);
       !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
    ++n;
  }
  return n;
}

}  // namespace

ProcessMetrics::ProcessMetrics(Registry& registry)
    : start_time_(registry.gauge("process_start_time_seconds",
                                 "Start time of the process since the Unix epoch in seconds")),
      cpu_seconds_(registry.counter("process_cpu_seconds_total",
                                    "Total user and system CPU time spent in seconds")),
      resident_bytes_(
          registry.gauge("process_resident_memory_bytes", "Resident memory size in bytes")),
      virtual_bytes_(
          registry.gauge("process_virtual_memory_bytes", "Virtual memory size in bytes")),
      open_fds_(registry.gauge("process_open_fds", "Number of open file descriptors")) {
  start_time_.set(now_unix_seconds());
  update();
}

void ProcessMetrics::update() {
  // Counters only go up: add what was used since the last update.
  const double cpu = cpu_seconds();
  if (cpu > cpu_reported_) {
    cpu_seconds_.inc(cpu - cpu_reported_);
    cpu_reported_ = cpu;
  }
  // /proc/self/statm: sizes in pages, virtual first, resident second.
  std::ifstream statm("/proc/self/statm");
  double pages_virtual = 0, pages_resident = 0;
  if (statm >> pages_virtual >> pages_resident) {
    const double page = static_cast<double>(sysconf(_SC_PAGESIZE));
    virtual_bytes_.set(pages_virtual * page);
    resident_bytes_.set(pages_resident * page);
  }
  open_fds_.set(static_cast<double>(count_open_fds()));
}

}  // namespace sudachi::metrics

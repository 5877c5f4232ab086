#pragma once

#include <sys/types.h>

#include <cstdint>

// Where the CPU time went during a measurement, read from /proc: the server process's own
// user+system time, the busy share of the core it is pinned to (softirq work included, which
// a process's own time may not show), and this process's time. Evidence, not control: a
// server at 100% of its core is the bottleneck; a load generator at 100% means the figure is
// a lower bound.
namespace sudachi::bench {

struct CpuSample {
  double server_s = 0;      // utime + stime of the server pid
  double core_busy_s = 0;   // non-idle jiffies of the server's core
  double core_steal_s = 0;  // steal on that core (a VM's host took it)
  double self_s = 0;        // this process's CPU time
  double wall_s = 0;
};

class CpuMeter {
 public:
  CpuMeter(pid_t server_pid, int server_core) : pid_(server_pid), core_(server_core) {}
  CpuSample sample() const;

 private:
  pid_t pid_;
  int core_;
};

struct CpuShare {
  double server = -1;  // fractions of one core over the interval; -1 when unknown
  double core_busy = -1;
  double core_steal = -1;
  double self = -1;
};
CpuShare cpu_share(const CpuSample& a, const CpuSample& b);

}  // namespace sudachi::bench

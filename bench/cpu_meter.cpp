#include "cpu_meter.hpp"

#include <time.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>

namespace sudachi::bench {
namespace {

double now_s(clockid_t clock) {
  timespec ts{};
  ::clock_gettime(clock, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

}  // namespace

CpuSample CpuMeter::sample() const {
  CpuSample s;
  const double tick = static_cast<double>(::sysconf(_SC_CLK_TCK));
  s.wall_s = now_s(CLOCK_MONOTONIC);
  s.self_s = now_s(CLOCK_PROCESS_CPUTIME_ID);
  if (pid_ > 0) {
    std::ifstream stat("/proc/" + std::to_string(pid_) + "/stat");
    std::string line;
    if (std::getline(stat, line)) {
      // Fields after the parenthesised command name: state is field 3, utime 14, stime 15.
      std::istringstream in(line.substr(line.rfind(')') + 2));
      std::string field;
      double utime = 0, stime = 0;
      for (int i = 3; in >> field; ++i) {
        if (i == 14) utime = std::stod(field);
        if (i == 15) {
          stime = std::stod(field);
          break;
        }
      }
      s.server_s = (utime + stime) / tick;
    } else {
      s.server_s = -1;
    }
  }
  if (core_ >= 0) {
    std::ifstream stat("/proc/stat");
    const std::string want = "cpu" + std::to_string(core_) + " ";
    std::string line;
    while (std::getline(stat, line)) {
      if (line.rfind(want, 0) != 0) continue;
      std::istringstream in(line.substr(want.size()));
      double user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0;
      in >> user >> nice >> system >> idle >> iowait >> irq >> softirq >> steal;
      s.core_busy_s = (user + nice + system + irq + softirq) / tick;
      s.core_steal_s = steal / tick;
    }
  }
  return s;
}

CpuShare cpu_share(const CpuSample& a, const CpuSample& b) {
  CpuShare c;
  const double wall = b.wall_s - a.wall_s;
  if (wall <= 0) return c;
  if (a.server_s >= 0 && b.server_s > 0) c.server = (b.server_s - a.server_s) / wall;
  c.core_busy = (b.core_busy_s - a.core_busy_s) / wall;
  c.core_steal = (b.core_steal_s - a.core_steal_s) / wall;
  c.self = (b.self_s - a.self_s) / wall;
  return c;
}

}  // namespace sudachi::bench

#include "storage/history/history_format.hpp"

#include <chrono>
#include <cstdio>

namespace sudachi::storage {

std::string format_utc_timestamp(std::int64_t unix_ms) {
  using namespace std::chrono;
  const sys_time<milliseconds> instant{milliseconds{unix_ms}};
  const sys_days day = floor<days>(instant);
  const year_month_day date{day};
  const hh_mm_ss time_of_day{instant - day};  // floor above keeps this non-negative before 1970 too
  char text[64];
  std::snprintf(text, sizeof text, "%04d-%02u-%02uT%02ld:%02ld:%02ld.%03ldZ",
                static_cast<int>(date.year()), static_cast<unsigned>(date.month()),
                static_cast<unsigned>(date.day()), static_cast<long>(time_of_day.hours().count()),
                static_cast<long>(time_of_day.minutes().count()),
                static_cast<long>(time_of_day.seconds().count()),
                static_cast<long>(time_of_day.subseconds().count()));
  return text;
}

std::string connection_types_json(const room::ConnectionCounts& counts) {
  return "{\"direct\":" + std::to_string(counts.direct) +
         ",\"relay\":" + std::to_string(counts.relay) +
         ",\"failed\":" + std::to_string(counts.failed) + "}";
}

}  // namespace sudachi::storage

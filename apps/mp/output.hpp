#pragma once

#include <string>
#include <string_view>

#include <boost/json/object.hpp>

#include "sudachi/mp.hpp"

// What sudachi-mp prints. With --json, stdout carries one JSON object per line and nothing
// else (checks outside this repository parse it); progress and logs go to stderr. Without it,
// stdout carries human-readable status lines and errors go to stderr.
namespace sudachi::mp_cli {

class Output {
 public:
  explicit Output(bool json) : json_(json) {}
  bool json() const { return json_; }

  // A contract line (--json): written and flushed at once, so a reader sees it immediately.
  void event(const boost::json::object& line) const;
  // Human status (stdout without --json, stderr with it).
  void status(std::string_view text) const;
  // Diagnostics: always stderr.
  void log(std::string_view text) const;
  // A failure: {"event":"error","code","message"[,"retryAfter"]} on stdout with --json, and an
  // "error: ..." line on stderr either way.
  void error(const mp::Error& error) const;

 private:
  bool json_;
};

}  // namespace sudachi::mp_cli

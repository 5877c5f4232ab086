#include "output.hpp"

#include <cstdio>

#include <boost/json/serialize.hpp>
#include <boost/json/string.hpp>

namespace sudachi::mp_cli {

namespace {

// Boost.JSON writes doubles in scientific notation (3.1E-1); people and scripts read these
// lines, so numbers are written plainly (0.31). Everything else is Boost.JSON's.
std::string to_line(const boost::json::object& object) {
  std::string out = "{";
  bool first = true;
  for (const auto& [key, value] : object) {
    if (!first) out += ',';
    first = false;
    out += boost::json::serialize(boost::json::string(key));
    out += ':';
    if (value.is_double()) {
      char buffer[64];
      std::snprintf(buffer, sizeof buffer, "%.3f", value.as_double());
      std::string number(buffer);
      while (number.size() > 1 && number.back() == '0') number.pop_back();
      if (number.back() == '.') number.pop_back();
      out += number;
    } else {
      out += boost::json::serialize(value);
    }
  }
  return out + "}";
}

}  // namespace

void Output::event(const boost::json::object& line) const {
  if (!json_) return;
  const std::string text = to_line(line);
  std::fprintf(stdout, "%s\n", text.c_str());
  std::fflush(stdout);
}

void Output::status(std::string_view text) const {
  std::FILE* out = json_ ? stderr : stdout;
  std::fprintf(out, "%.*s\n", static_cast<int>(text.size()), text.data());
  std::fflush(out);
}

void Output::log(std::string_view text) const {
  std::fprintf(stderr, "%.*s\n", static_cast<int>(text.size()), text.data());
  std::fflush(stderr);
}

void Output::error(const mp::Error& error) const {
  const std::string_view code = mp::to_string(error.code);
  if (json_) {
    boost::json::object line{{"event", "error"}, {"code", code}, {"message", error.message}};
    if (error.retry_after_s > 0) line["retryAfter"] = error.retry_after_s;
    event(line);
  }
  std::string text = "error: " + std::string(code);
  if (!error.message.empty()) text += ": " + error.message;
  if (error.retry_after_s > 0) text += " (retry in " + std::to_string(error.retry_after_s) + " s)";
  log(text);
}

}  // namespace sudachi::mp_cli

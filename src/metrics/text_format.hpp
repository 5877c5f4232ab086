#pragma once

#include <string>
#include <string_view>

// The lexical rules of the Prometheus text exposition format 0.0.4, apart from the registry so
// they can be tested on their own. Internal to src/metrics.
namespace sudachi::metrics::text {

// [a-zA-Z_:][a-zA-Z0-9_:]*
bool valid_metric_name(std::string_view name) noexcept;
// [a-zA-Z_][a-zA-Z0-9_]* and not starting with "__" (reserved for Prometheus itself).
bool valid_label_name(std::string_view name) noexcept;

// HELP text: backslash and newline escaped.
void append_help(std::string& out, std::string_view help);
// Label value: backslash, double quote and newline escaped. Invalid UTF-8 becomes U+FFFD,
// because one bad byte in a label value (often derived from client input) would make the
// whole scrape unparseable.
void append_label_value(std::string& out, std::string_view value);

// A sample value as Prometheus parses it: integers without exponent where exact, otherwise
// the shortest round-trip form; "+Inf", "-Inf", "NaN".
std::string format_number(double value);

}  // namespace sudachi::metrics::text

#include "room/text_rules.hpp"

#include <unicode/uchar.h>

#include "common/random_id.hpp"

namespace sudachi::room::text {

namespace {

// The code point at `i` of valid UTF-8, advancing `i` past it.
char32_t next_code_point(std::string_view s, std::size_t& i) noexcept {
  const auto b0 = static_cast<unsigned char>(s[i]);
  const std::size_t len = b0 < 0x80 ? 1 : (b0 & 0xE0) == 0xC0 ? 2 : (b0 & 0xF0) == 0xE0 ? 3 : 4;
  char32_t cp = len == 1 ? b0 : len == 2 ? (b0 & 0x1F) : len == 3 ? (b0 & 0x0F) : (b0 & 0x07);
  for (std::size_t k = 1; k < len && i + k < s.size(); ++k) {
    cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
  }
  i += len;
  return cp;
}

bool is_bidi_control(char32_t c) noexcept {
  return c == 0x061C || c == 0x200E || c == 0x200F || (c >= 0x202A && c <= 0x202E) ||
         (c >= 0x2066 && c <= 0x2069);
}

bool is_invisible(char32_t c) noexcept {
  return c == 0xFEFF || c == 0x200B || (c >= 0x2060 && c <= 0x2064) ||
         (c >= 0x206A && c <= 0x206F) || (c >= 0xFFF9 && c <= 0xFFFB) || c == 0x2028 || c == 0x2029;
}

bool is_combining_mark(char32_t c) noexcept {
  return (U_GET_GC_MASK(static_cast<UChar32>(c)) & U_GC_M_MASK) != 0;
}

// Whether `c` shows as something: not whitespace, not default-ignorable, not a mark without a
// base, not the braille blank.
bool is_visible(char32_t c) noexcept {
  const auto u = static_cast<UChar32>(c);
  return c != 0x2800 && !u_hasBinaryProperty(u, UCHAR_WHITE_SPACE) &&
         !u_hasBinaryProperty(u, UCHAR_DEFAULT_IGNORABLE_CODE_POINT) && !is_combining_mark(c);
}

}  // namespace

std::optional<std::size_t> utf8_length(std::string_view s) noexcept {
  std::size_t count = 0;
  std::size_t i = 0;
  const std::size_t n = s.size();
  while (i < n) {
    const auto b0 = static_cast<unsigned char>(s[i]);
    std::size_t len = 0;
    char32_t cp = 0;
    char32_t min = 0;
    if (b0 < 0x80) {
      ++i;
      ++count;
      continue;
    } else if ((b0 & 0xE0) == 0xC0) {
      len = 2, cp = b0 & 0x1F, min = 0x80;
    } else if ((b0 & 0xF0) == 0xE0) {
      len = 3, cp = b0 & 0x0F, min = 0x800;
    } else if ((b0 & 0xF8) == 0xF0) {
      len = 4, cp = b0 & 0x07, min = 0x10000;
    } else {
      return std::nullopt;  // a continuation byte or 0xF8..0xFF where a sequence must start
    }
    if (n - i < len) return std::nullopt;
    for (std::size_t k = 1; k < len; ++k) {
      const auto b = static_cast<unsigned char>(s[i + k]);
      if ((b & 0xC0) != 0x80) return std::nullopt;
      cp = (cp << 6) | (b & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return std::nullopt;
    i += len;
    ++count;
  }
  return count;
}

bool has_control_chars(std::string_view s, bool allow_line_breaks) noexcept {
  for (std::size_t i = 0; i < s.size(); ++i) {
    const auto b = static_cast<unsigned char>(s[i]);
    if (b < 0x20) {
      if (allow_line_breaks && (b == '\n' || b == '\r' || b == '\t')) continue;
      return true;
    }
    if (b == 0x7F) return true;
    // C1 controls U+0080..U+009F are encoded as C2 80..C2 9F.
    if (b == 0xC2 && i + 1 < s.size()) {
      const auto next = static_cast<unsigned char>(s[i + 1]);
      if (next >= 0x80 && next <= 0x9F) return true;
    }
  }
  return false;
}

bool is_valid_id(std::string_view s) noexcept {
  if (is_uuid(s)) return true;
  if (s.empty() || s.size() > 64) return false;
  for (char c : s) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == ':' || c == '@' || c == '-';
    if (!ok) return false;
  }
  return true;
}

bool is_game_id(std::string_view s) noexcept {
  return s.size() == 16 && is_hex(s);
}

NameProblem name_problem(std::string_view s) {
  bool visible = false;
  std::size_t marks_in_a_row = 0;
  for (std::size_t i = 0; i < s.size();) {
    const char32_t c = next_code_point(s, i);
    if (is_bidi_control(c)) return NameProblem::bidi_control;
    if (is_invisible(c)) return NameProblem::invisible;
    marks_in_a_row = is_combining_mark(c) ? marks_in_a_row + 1 : 0;
    if (marks_in_a_row > kMaxCombiningRun) return NameProblem::combining_run;
    visible = visible || is_visible(c);
  }
  return visible ? NameProblem::none : NameProblem::blank;
}

std::string_view describe(NameProblem problem) noexcept {
  switch (problem) {
    case NameProblem::none:
      return "is valid";
    case NameProblem::bidi_control:
      return "must not contain bidirectional control characters";
    case NameProblem::invisible:
      return "must not contain invisible characters (BOM, zero-width space, separators)";
    case NameProblem::blank:
      return "must contain a visible character";
    case NameProblem::combining_run:
      return "must not have more than 4 combining marks in a row";
  }
  return "is not allowed";
}

}  // namespace sudachi::room::text

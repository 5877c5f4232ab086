#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

// Character-level rules for the strings clients send: names are counted in code points (what
// a player sees), not bytes, so the UTF-8 must be valid before it can be counted.
namespace sudachi::room::text {

// The number of code points, or nullopt when `s` is not valid UTF-8 (overlong forms,
// surrogates and values above U+10FFFF are invalid).
std::optional<std::size_t> utf8_length(std::string_view s) noexcept;

// Whether `s` (valid UTF-8) contains a C0 control, DEL or a C1 control. Chat may keep line
// breaks and tabs (`allow_line_breaks`); names never do.
bool has_control_chars(std::string_view s, bool allow_line_breaks) noexcept;

// Room and client ids: a UUID, or for client ids minted by an operator's own identity
// service, 1..64 characters of [A-Za-z0-9._:@-] (nothing that could break a log line or a
// storage key).
bool is_valid_id(std::string_view s) noexcept;

// A Switch title id: exactly 16 hex digits.
bool is_game_id(std::string_view s) noexcept;

// Display names (room names, usernames, game names) are shown to other players, so what they
// see must be what the server compared: a name must not be able to pass for another one or
// rearrange the text around it. The rules, for valid UTF-8 without control characters:
//   bidi_control    no U+061C, U+200E/U+200F, U+202A..U+202E or U+2066..U+2069: they reorder
//                   what follows ("\u202Egnp.exe" shows as "exe.png"), even outside the name;
//   invisible       no BOM (U+FEFF), zero-width space (U+200B), word joiner and invisible
//                   operators (U+2060..U+2064), deprecated format controls (U+206A..U+206F),
//                   interlinear annotation (U+FFF9..U+FFFB), line and paragraph separators
//                   (U+2028/U+2029): "Admin" and "Ad<U+200B>min" must not look alike. ZWJ and
//                   ZWNJ stay allowed: emoji sequences and several scripts need them;
//   blank           at least one visible character: not only whitespace, default-ignorable
//                   code points (Hangul fillers, variation selectors...), combining marks or
//                   U+2800 (the braille blank of "invisible name" tricks);
//   combining_run   at most kMaxCombiningRun combining marks in a row ("Zalgo" text that
//                   paints over its neighbours). Real text needs few: Vietnamese and Thai use
//                   2, Indic and Tibetan stacks up to 3-4 after NFC; 4 leaves them all room.
enum class NameProblem { none, bidi_control, invisible, blank, combining_run };
inline constexpr std::size_t kMaxCombiningRun = 4;

// The first rule `s` breaks (check the NFC form: composing can shorten a run of marks).
NameProblem name_problem(std::string_view s);
// "must not contain bidirectional control characters" and so on, to follow a field name.
std::string_view describe(NameProblem problem) noexcept;

// The Unicode NFC form of `s` (valid UTF-8), through Boost.Locale's ICU back end: names are
// stored and compared composed, so "e" + U+0301 and "é" are one name. nullopt only when the
// conversion itself fails (allocation); ASCII is returned as is without a conversion.
std::optional<std::string> to_nfc(std::string_view s);

}  // namespace sudachi::room::text

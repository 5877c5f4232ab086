// NFC through Boost.Locale, kept apart from the character rules: it is the one place that
// needs the ICU back end, and its locale is expensive to make.
#include <algorithm>
#include <exception>
#include <locale>
#include <stdexcept>

#include <boost/locale/conversion.hpp>
#include <boost/locale/generator.hpp>
#include <boost/locale/localization_backend.hpp>

#include "room/text_rules.hpp"

namespace sudachi::room::text {

namespace {

// Made once, on first use (a function-local static: initialised exactly once even when
// several threads get here together). Using a std::locale and its facets afterwards only reads
// them, and the ICU converter builds its per-call state on the stack, so every thread may
// share this one. The ICU back end is selected by name: Debian's Boost.Locale is built with
// it, and the other back ends do not implement normalisation (they return the input as is):
// without ICU this throws, and every non-ASCII name is refused rather than kept unnormalised.
const std::locale& nfc_locale() {
  static const std::locale locale = [] {
    boost::locale::localization_backend_manager manager =
        boost::locale::localization_backend_manager::global();
    const auto backends = manager.get_all_backends();
    if (std::find(backends.begin(), backends.end(), "icu") == backends.end())
      throw std::runtime_error("Boost.Locale was built without its ICU back end");
    manager.select("icu");
    boost::locale::generator generator(manager);
    // ICU needs no system locale: the name only sets the encoding of std::string (UTF-8).
    return generator("en_US.UTF-8");
  }();
  return locale;
}

bool is_ascii(std::string_view s) noexcept {
  for (char c : s) {
    if (static_cast<unsigned char>(c) >= 0x80) return false;
  }
  return true;
}

}  // namespace

std::optional<std::string> to_nfc(std::string_view s) {
  if (is_ascii(s)) return std::string(s);  // ASCII is NFC already: no conversion needed
  try {
    return boost::locale::normalize(s.data(), s.data() + s.size(), boost::locale::norm_nfc,
                                    nfc_locale());
  } catch (const std::exception&) {
    return std::nullopt;  // std::bad_alloc, or ICU refusing the input
  }
}

}  // namespace sudachi::room::text

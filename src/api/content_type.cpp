#include "api/content_type.hpp"

#include <cstddef>

namespace sudachi::api {
namespace {

constexpr std::string_view kJson = "application/json";

bool is_ows(char c) {
  return c == ' ' || c == '\t';
}

char ascii_lower(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

}  // namespace

bool is_json_content_type(std::string_view value) {
  std::size_t begin = 0;
  std::size_t end = value.find(';');
  if (end == std::string_view::npos) end = value.size();
  while (begin < end && is_ows(value[begin])) ++begin;
  while (end > begin && is_ows(value[end - 1])) --end;
  const std::string_view media = value.substr(begin, end - begin);
  if (media.size() != kJson.size()) return false;
  for (std::size_t i = 0; i < media.size(); ++i) {
    if (ascii_lower(media[i]) != kJson[i]) return false;
  }
  return true;
}

}  // namespace sudachi::api

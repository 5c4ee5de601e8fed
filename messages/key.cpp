#include "messages/key.hpp"

#include <algorithm>
#include <cstdio>

namespace ooo::storage {

namespace {

bool is_alnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

bool is_inner(char c) {
  return is_alnum(c) || c == '/' || c == '_' || c == '.' || c == '-';
}

// Walks the segments of `x` and calls `f(segment)`; returns false as soon as `f` does.
template <class F>
bool for_each_segment(std::string_view x, F f) {
  size_t begin = 0;
  for (;;) {
    auto end = x.find('/', begin);
    if (end == std::string_view::npos)
      return f(x.substr(begin));
    if (!f(x.substr(begin, end - begin)))
      return false;
    begin = end + 1;
  }
}

// Validates `x` as a pattern; reports through `has_star` whether a `*` segment was seen.
bool valid_pattern(std::string_view x, bool& has_star) {
  has_star = false;
  if (x.empty() || x.size() > max_key_size)
    return false;
  size_t n = 0;
  auto count = 1 + static_cast<size_t>(std::count(x.begin(), x.end(), '/'));
  return for_each_segment(x, [&](std::string_view seg) {
    ++n;
    if (seg.empty())
      return false;
    if (seg == "*") {
      has_star = true;
      return true;
    }
    for (auto c : seg)
      if (!is_inner(c))
        return false;
    if (n == 1 && !is_alnum(seg.front()))
      return false;
    if (n == count && !is_alnum(seg.back()))
      return false;
    return true;
  });
}

} // namespace

errc check_key(std::string_view key) {
  bool has_star = false;
  if (!valid_pattern(key, has_star))
    return errc::invalid_path;
  return has_star ? errc::glob_not_allowed : errc::none;
}

errc check_pattern(std::string_view pattern) {
  bool has_star = false;
  return valid_pattern(pattern, has_star) ? errc::none : errc::invalid_path;
}

bool is_glob(std::string_view pattern) {
  return pattern == "*" || pattern.substr(0, 2) == "*/"
         || pattern.find("/*/") != std::string_view::npos
         || (pattern.size() >= 2 && pattern.substr(pattern.size() - 2) == "/*");
}

bool matches(std::string_view pattern, std::string_view key) {
  for (;;) {
    auto p_end = pattern.find('/');
    auto k_end = key.find('/');
    auto p_seg = pattern.substr(0, p_end);
    auto k_seg = key.substr(0, k_end);
    if (p_seg != "*" && p_seg != k_seg)
      return false;
    if (p_end == std::string_view::npos || k_end == std::string_view::npos)
      return p_end == k_end;
    pattern.remove_prefix(p_end + 1);
    key.remove_prefix(k_end + 1);
  }
}

std::string_view last_segment(std::string_view key) {
  auto pos = key.rfind('/');
  return pos == std::string_view::npos ? key : key.substr(pos + 1);
}

std::string_view parent_of(std::string_view key) {
  auto pos = key.rfind('/');
  return pos == std::string_view::npos ? std::string_view{} : key.substr(0, pos);
}

errc check_push_pattern(std::string_view pattern) {
  if (check_pattern(pattern) != errc::none)
    return errc::invalid_path;
  if (pattern.size() < 2 || pattern.substr(pattern.size() - 2) != "/*")
    return is_glob(pattern) ? errc::glob_not_allowed : errc::glob_required;
  if (is_glob(pattern.substr(0, pattern.size() - 2)))
    return errc::glob_not_allowed;
  // The generated key adds 16 hex digits in place of the `*`.
  if (pattern.size() - 1 + 16 > max_key_size)
    return errc::invalid_path;
  return errc::none;
}

std::string push_key(std::string_view pattern, int64_t timestamp) {
  std::string result{pattern.substr(0, pattern.size() - 1)};
  char hex[17];
  std::snprintf(hex, sizeof(hex), "%016llx", static_cast<unsigned long long>(timestamp));
  result.append(hex, 16);
  return result;
}

size_t shard_of(std::string_view key, size_t shard_count) {
  uint64_t hash = 14695981039346656037ull;
  for (auto c : key) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 1099511628211ull;
  }
  return static_cast<size_t>(hash % shard_count);
}

const char* key_rules() {
  return "a key is at most 1024 bytes of [A-Za-z0-9/_.-], starts and ends with [A-Za-z0-9] "
         "and has no empty segment (//); a pattern may use * for whole segments";
}

} // namespace ooo::storage

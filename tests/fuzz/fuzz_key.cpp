// Fuzzes the key rules (messages/key.hpp) with arbitrary bytes and checks their invariants:
// what check_key accepts is a key by DESIGN.md's definition, every key matches itself, a
// pattern matches the keys it stands for, and push builds valid keys under its pattern.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <algorithm>
#include <cstdlib>
#include <string>
#include <string_view>

#include <fuzzer/FuzzedDataProvider.h>

#include "messages/key.hpp"
#include "tests/fuzz/fuzz_check.hpp"

using namespace ooo::storage;

namespace {

bool is_alnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

bool is_inner(char c) {
  return is_alnum(c) || c == '/' || c == '_' || c == '.' || c == '-';
}

/// The key rules of DESIGN.md, written independently of key.cpp.
void check_is_key(std::string_view k) {
  FUZZ_CHECK(!k.empty() && k.size() <= max_key_size);
  FUZZ_CHECK(is_alnum(k.front()) && is_alnum(k.back()));
  FUZZ_CHECK(k.find("//") == std::string_view::npos);
  for (auto c : k)
    FUZZ_CHECK(is_inner(c));
}

/// Replaces every `*` segment of a valid pattern with `x`: a key the pattern matches.
std::string instance_of(std::string_view pattern) {
  std::string key;
  size_t begin = 0;
  for (;;) {
    auto end = pattern.find('/', begin);
    auto seg = pattern.substr(begin, end == std::string_view::npos ? end : end - begin);
    key += seg == "*" ? std::string_view{"x"} : seg;
    if (end == std::string_view::npos)
      return key;
    key += '/';
    begin = end + 1;
  }
}

void check_one(std::string_view x) {
  auto key_result = check_key(x);
  auto pattern_result = check_pattern(x);
  switch (key_result) {
    case errc::none:
      check_is_key(x);
      FUZZ_CHECK(pattern_result == errc::none);
      FUZZ_CHECK(!is_glob(x));
      FUZZ_CHECK(matches(x, x));
      FUZZ_CHECK(check_push_pattern(x) == errc::glob_required);
      FUZZ_CHECK(shard_of(x, 7) < 7);
      {
        auto last = last_segment(x);
        auto parent = parent_of(x);
        // Inner segments may start or end with `_.-` ("a-/_b" is a key), so the parts are
        // not keys themselves; they only put the key back together.
        FUZZ_CHECK(!last.empty() && last.find('/') == std::string_view::npos);
        FUZZ_CHECK(is_alnum(last.back()));
        if (parent.empty()) {
          FUZZ_CHECK(last == x);
        } else {
          FUZZ_CHECK(is_alnum(parent.front()));
          FUZZ_CHECK(parent.size() + 1 + last.size() == x.size());
          FUZZ_CHECK(x.substr(0, parent.size()) == parent && x[parent.size()] == '/');
        }
      }
      break;
    case errc::glob_not_allowed:
      FUZZ_CHECK(pattern_result == errc::none);
      FUZZ_CHECK(is_glob(x));
      break;
    case errc::invalid_path:
      FUZZ_CHECK(pattern_result == errc::invalid_path);
      break;
    default:
      FUZZ_CHECK(!"check_key returned an unexpected code");
  }
  if (pattern_result == errc::none) {
    auto key = instance_of(x);
    FUZZ_CHECK(key.size() <= max_key_size);
    FUZZ_CHECK(check_key(key) == errc::none);
    FUZZ_CHECK(matches(x, key));
    // One segment more or less never matches.
    FUZZ_CHECK(!matches(x, key + "/y"));
    FUZZ_CHECK(!matches(std::string{x} + "/y", key));
  }
  auto push_result = check_push_pattern(x);
  if (push_result == errc::none) {
    FUZZ_CHECK(pattern_result == errc::none && is_glob(x));
    for (int64_t ts : {int64_t{0}, int64_t{1}, int64_t{1'700'000'000'123'456'789}, int64_t{-1}}) {
      auto key = push_key(x, ts);
      FUZZ_CHECK(key.size() == x.size() - 1 + 16);
      FUZZ_CHECK(check_key(key) == errc::none);
      FUZZ_CHECK(matches(x, key));
      FUZZ_CHECK(parent_of(key) == x.substr(0, x.size() - 2));
    }
  } else {
    FUZZ_CHECK(push_result == errc::invalid_path || push_result == errc::glob_required
               || push_result == errc::glob_not_allowed);
  }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider in{data, size};
  // Half the input as a pattern, the rest as a key: matches must not crash on anything, and
  // must agree with the rules when both are valid.
  auto pattern = in.ConsumeRandomLengthString(2 * max_key_size);
  auto key = in.ConsumeRemainingBytesAsString();
  check_one(pattern);
  check_one(key);
  auto m = matches(pattern, key);
  if (m && check_pattern(pattern) == errc::none && check_key(key) == errc::none) {
    // Equal segment counts, and every non-* segment equal.
    auto p = std::string_view{pattern};
    auto k = std::string_view{key};
    FUZZ_CHECK(std::count(p.begin(), p.end(), '/') == std::count(k.begin(), k.end(), '/'));
    if (!is_glob(p))
      FUZZ_CHECK(p == k);
  }
  (void) shard_of(key, 1 + (size % 16));
  return 0;
}

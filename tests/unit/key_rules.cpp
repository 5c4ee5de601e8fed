#define CAF_SUITE key_rules
#include "caf/test/dsl.hpp"

#include <algorithm>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "messages/clock.hpp"
#include "messages/errc.hpp"
#include "messages/key.hpp"

using namespace ooo::storage;

namespace {

struct key_case {
  std::string input;
  errc as_key;
  errc as_pattern;
};

std::string repeat(char c, size_t n) {
  return std::string(n, c);
}

} // namespace

CAF_TEST(keys and patterns follow the key rules) {
  auto n = errc::none;
  auto bad = errc::invalid_path;
  auto glob = errc::glob_not_allowed;
  std::vector<key_case> cases{
    // valid keys
    {"a", n, n},
    {"7", n, n},
    {"users/123", n, n},
    {"Users/ABC/x9", n, n},
    {"a-b_c.d/e.f-g_h", n, n},
    {"a/b/c/d/e/f", n, n},
    {"a/-/b", n, n},
    {"a/_x", n, n},
    {"a.b", n, n},
    {repeat('a', max_key_size), n, n},
    {repeat('a', 511) + "/" + repeat('b', 512), n, n},
    // malformed
    {"", bad, bad},
    {"/", bad, bad},
    {"/a", bad, bad},
    {"a/", bad, bad},
    {"a//b", bad, bad},
    {"a/b/", bad, bad},
    {"-a", bad, bad},
    {"a-", bad, bad},
    {"_a", bad, bad},
    {"a_", bad, bad},
    {".a", bad, bad},
    {"a.", bad, bad},
    {".", bad, bad},
    {"a b", bad, bad},
    {"a\tb", bad, bad},
    {std::string("a\0b", 3), bad, bad},
    {"a:b", bad, bad},
    {"a\\b", bad, bad},
    {"\xc3\xa4", bad, bad},
    {"users/\xc3\xa4x", bad, bad},
    {repeat('a', max_key_size + 1), bad, bad},
    {repeat('a', 512) + "/" + repeat('b', 512), bad, bad},
    // a `*` is a whole segment or nothing
    {"*x", bad, bad},
    {"x*", bad, bad},
    {"users/*x", bad, bad},
    {"users/x*", bad, bad},
    {"**", bad, bad},
    {"a/**/b", bad, bad},
    {"a/*/", bad, bad},
    {"/*", bad, bad},
    {"a//*", bad, bad},
    {"?", bad, bad},
    // well-formed patterns
    {"*", glob, n},
    {"users/*", glob, n},
    {"*/posts", glob, n},
    {"a/*/c", glob, n},
    {"*/*", glob, n},
    {"*/*/*", glob, n},
    {repeat('a', max_key_size - 2) + "/*", glob, n},
    {repeat('a', max_key_size - 1) + "/*", bad, bad},
  };
  for (auto& x : cases) {
    CAF_MESSAGE("case '" << x.input << "' (" << x.input.size() << " bytes)");
    CAF_CHECK_EQUAL(to_string(check_key(x.input)), std::string{to_string(x.as_key)});
    CAF_CHECK_EQUAL(to_string(check_pattern(x.input)), std::string{to_string(x.as_pattern)});
    if (x.as_pattern == errc::none)
      CAF_CHECK_EQUAL(is_glob(x.input), x.as_key == errc::glob_not_allowed);
  }
}

CAF_TEST(a star matches exactly one whole segment) {
  struct match_case {
    const char* pattern;
    const char* key;
    bool expected;
  };
  std::vector<match_case> cases{
    {"users/*", "users/1", true},
    {"users/*", "users/abc.def", true},
    {"users/*", "users/1/x", false},
    {"users/*", "users", false},
    {"users/*", "user/1", false},
    {"users/*", "usersx/1", false},
    {"users/*", "x/users/1", false},
    {"*", "a", true},
    {"*", "a/b", false},
    {"*/b", "a/b", true},
    {"*/b", "a/c", false},
    {"*/b", "b", false},
    {"*/b", "x/a/b", false},
    {"a/*/c", "a/b/c", true},
    {"a/*/c", "a/bb/c", true},
    {"a/*/c", "a/b/d", false},
    {"a/*/c", "a/c", false},
    {"a/*/c", "a/b/x/c", false},
    {"*/*", "a/b", true},
    {"*/*", "a", false},
    {"*/*", "a/b/c", false},
    {"*/*/*", "a/b/c", true},
    {"users/1", "users/1", true},
    {"users/1", "users/12", false},
    {"users/12", "users/1", false},
    {"a/b", "a/b/c", false},
    {"a/b/c", "a/b", false},
  };
  for (auto& x : cases) {
    CAF_MESSAGE("matches('" << x.pattern << "', '" << x.key << "')");
    CAF_CHECK_EQUAL(matches(x.pattern, x.key), x.expected);
  }
}

CAF_TEST(last segment and parent) {
  CAF_CHECK_EQUAL(std::string{last_segment("users/123")}, "123");
  CAF_CHECK_EQUAL(std::string{last_segment("a")}, "a");
  CAF_CHECK_EQUAL(std::string{last_segment("a/b/c.json")}, "c.json");
  CAF_CHECK_EQUAL(std::string{last_segment("users/*")}, "*");
  CAF_CHECK_EQUAL(std::string{parent_of("users/123")}, "users");
  CAF_CHECK_EQUAL(std::string{parent_of("a")}, "");
  CAF_CHECK_EQUAL(std::string{parent_of("a/b/c")}, "a/b");
  CAF_CHECK_EQUAL(std::string{parent_of("*/x/*")}, "*/x");
}

CAF_TEST(push patterns end in a single star segment) {
  std::vector<std::pair<std::string, errc>> cases{
    {"users/*", errc::none},
    {"a/b/c/*", errc::none},
    {"users", errc::glob_required},
    {"users/1", errc::glob_required},
    {"*", errc::glob_not_allowed},
    {"*/x", errc::glob_not_allowed},
    {"*/*", errc::glob_not_allowed},
    {"*/x/*", errc::glob_not_allowed},
    {"users/*/x", errc::glob_not_allowed},
    {"", errc::invalid_path},
    {"a//*", errc::invalid_path},
    {"a/b*", errc::invalid_path},
    {"a/*x", errc::invalid_path},
    {"/*", errc::invalid_path},
    // the generated key replaces `*` by 16 hex digits and must stay within the limit
    {repeat('a', max_key_size - 17) + "/*", errc::none},
    {repeat('a', max_key_size - 16) + "/*", errc::invalid_path},
  };
  for (auto& [pattern, expected] : cases) {
    CAF_MESSAGE("push pattern '" << pattern << "'");
    CAF_CHECK_EQUAL(std::string{to_string(check_push_pattern(pattern))},
                    std::string{to_string(expected)});
  }
  auto longest = repeat('a', max_key_size - 17) + "/*";
  auto key = push_key(longest, next_timestamp());
  CAF_CHECK_EQUAL(key.size(), max_key_size);
  CAF_CHECK(check_key(key) == errc::none);
}

CAF_TEST(push keys are hex timestamps that sort like their creation) {
  CAF_CHECK_EQUAL(push_key("users/*", 0), "users/0000000000000000");
  CAF_CHECK_EQUAL(push_key("users/*", 0x1234abcd), "users/000000001234abcd");
  CAF_CHECK_EQUAL(push_key("a/b/*", 0x7fffffffffffffffll), "a/b/7fffffffffffffff");
  std::vector<std::string> keys;
  for (int i = 0; i < 1000; ++i)
    keys.push_back(push_key("rooms/r1/*", next_timestamp()));
  CAF_CHECK(std::is_sorted(keys.begin(), keys.end()));
  CAF_CHECK(std::adjacent_find(keys.begin(), keys.end()) == keys.end());
  for (auto& k : keys) {
    CAF_CHECK(check_key(k) == errc::none);
    CAF_CHECK(matches("rooms/r1/*", k));
  }
}

CAF_TEST(the clock never repeats and never goes backwards across threads) {
  constexpr int threads = 4;
  constexpr int per_thread = 20000;
  std::vector<std::vector<int64_t>> seen(threads);
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t)
    workers.emplace_back([&seen, t] {
      auto& out = seen[t];
      out.reserve(per_thread);
      for (int i = 0; i < per_thread; ++i)
        out.push_back(next_timestamp());
    });
  for (auto& w : workers)
    w.join();
  std::set<int64_t> all;
  for (auto& xs : seen) {
    CAF_CHECK(std::is_sorted(xs.begin(), xs.end()));
    CAF_CHECK(std::adjacent_find(xs.begin(), xs.end()) == xs.end());
    all.insert(xs.begin(), xs.end());
  }
  CAF_CHECK_EQUAL(all.size(), static_cast<size_t>(threads * per_thread));
  CAF_CHECK_GREATER(next_timestamp(), *all.rbegin());
}

CAF_TEST(shard of a key is stable fnv1a) {
  // FNV-1a 64 test vectors: "" -> cbf29ce484222325, "a" -> af63dc4c8601ec8c,
  // "foobar" -> 85944171f73967e8.
  CAF_CHECK_EQUAL(shard_of("", 1000), 0xcbf29ce484222325ull % 1000);
  CAF_CHECK_EQUAL(shard_of("a", 1000), 0xaf63dc4c8601ec8cull % 1000);
  CAF_CHECK_EQUAL(shard_of("foobar", 1000003), 0x85944171f73967e8ull % 1000003);
  std::vector<size_t> per_shard(8);
  for (int i = 0; i < 10000; ++i) {
    auto key = "users/" + std::to_string(i);
    auto s = shard_of(key, 8);
    CAF_REQUIRE_LESS(s, 8u);
    CAF_CHECK_EQUAL(shard_of(key, 8), s);
    CAF_CHECK_EQUAL(shard_of(key, 1), 0u);
    ++per_shard[s];
  }
  // Every shard gets a fair share (10000 / 8 = 1250).
  for (auto n : per_shard) {
    CAF_CHECK_GREATER(n, 1000u);
    CAF_CHECK_LESS(n, 1500u);
  }
}

CAF_TEST(errors render by name) {
  CAF_CHECK_EQUAL(std::string{to_string(errc::not_found)}, "not_found");
  CAF_CHECK_EQUAL(std::string{to_string(errc::glob_not_allowed)}, "glob_not_allowed");
  CAF_CHECK_EQUAL(render(make_error(errc::invalid_path, "a//b")), "invalid_path: a//b");
  CAF_CHECK(is(make_error(errc::conflict), errc::conflict));
  CAF_CHECK(!is(make_error(errc::conflict), errc::not_found));
  CAF_CHECK(!is(caf::error{}, errc::none));
  for (uint8_t i = 0; i <= static_cast<uint8_t>(errc::limit_exceeded); ++i) {
    auto code = static_cast<errc>(i);
    errc parsed = errc::none;
    CAF_CHECK(from_string(to_string(code), parsed));
    CAF_CHECK_EQUAL(static_cast<int>(parsed), static_cast<int>(i));
  }
  errc ignored;
  CAF_CHECK(!from_string("no_such_error", ignored));
}

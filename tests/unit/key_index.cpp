#define CAF_SUITE key_index
#include "caf/test/dsl.hpp"

#include <algorithm>
#include <deque>
#include <string>
#include <vector>

#include "actors/key_index.hpp"

using namespace ooo::storage;

namespace {

struct fixture {
  /// The index points at key strings its owner keeps: here, this deque.
  std::deque<std::string> owned;
  key_index index;

  const std::string& key(const std::string& k) {
    for (auto& x : owned)
      if (x == k)
        return x;
    return owned.emplace_back(k);
  }

  void insert(const std::string& k, int64_t created) {
    index.insert(key(k), created);
  }

  void erase(const std::string& k, int64_t created) {
    index.erase(key(k), created);
  }

  fixture() {
    insert("users/1", 10);
    insert("users/2", 30);
    insert("users/3", 20);
    insert("users/4", 20); // same `created` as users/3: ties go by key
    insert("users/1/x", 40);
    insert("rooms/a/topic", 5);
    insert("rooms/b/topic", 15);
    insert("rooms/b/name", 25);
    insert("top", 1);
    insert("other", 2);
  }

  std::vector<std::string> select(const std::string& pattern, bool ascending = true,
                                  size_t limit = 0, int64_t from = 0, int64_t to = 0) {
    std::vector<const std::string*> out;
    index.select(pattern, from, to, ascending, limit, out);
    std::vector<std::string> result;
    for (auto* k : out)
      result.push_back(*k);
    return result;
  }

  std::vector<std::string> keys(const std::string& pattern, int64_t from = 0, int64_t to = 0) {
    std::vector<std::string> out;
    index.keys(pattern, from, to, out);
    std::sort(out.begin(), out.end());
    return out;
  }
};

using strings = std::vector<std::string>;

} // namespace

CAF_TEST_FIXTURE_SCOPE(key_index_tests, fixture)

CAF_TEST(literal parent in created order both ways) {
  CAF_CHECK_EQUAL(select("users/*"), (strings{"users/1", "users/3", "users/4", "users/2"}));
  CAF_CHECK_EQUAL(select("users/*", false), (strings{"users/2", "users/4", "users/3", "users/1"}));
  CAF_CHECK_EQUAL(select("rooms/b/*"), (strings{"rooms/b/topic", "rooms/b/name"}));
  CAF_CHECK_EQUAL(select("nothing/*"), strings{});
  CAF_CHECK_EQUAL(select("users/1/*"), strings{"users/1/x"});
}

CAF_TEST(limit stops early in both directions) {
  CAF_CHECK_EQUAL(select("users/*", true, 2), (strings{"users/1", "users/3"}));
  CAF_CHECK_EQUAL(select("users/*", false, 2), (strings{"users/2", "users/4"}));
  CAF_CHECK_EQUAL(select("users/*", false, 1), strings{"users/2"});
  CAF_CHECK_EQUAL(select("users/*", true, 100).size(), 4u);
  CAF_CHECK_EQUAL(select("*/*/topic", false, 1), strings{"rooms/b/topic"});
  CAF_CHECK_EQUAL(select("*/*", true, 3), (strings{"users/1", "users/3", "users/4"}));
}

CAF_TEST(created range is inclusive and open at zero) {
  CAF_CHECK_EQUAL(select("users/*", true, 0, 20, 20), (strings{"users/3", "users/4"}));
  CAF_CHECK_EQUAL(select("users/*", true, 0, 15, 0), (strings{"users/3", "users/4", "users/2"}));
  CAF_CHECK_EQUAL(select("users/*", true, 0, 0, 20), (strings{"users/1", "users/3", "users/4"}));
  CAF_CHECK_EQUAL(select("users/*", false, 0, 10, 29), (strings{"users/4", "users/3", "users/1"}));
  CAF_CHECK_EQUAL(select("users/*", false, 1, 11, 30), strings{"users/2"});
  CAF_CHECK_EQUAL(select("users/*", true, 0, 31, 0), strings{});
  CAF_CHECK_EQUAL(select("rooms/*/*", true, 0, 5, 15), (strings{"rooms/a/topic", "rooms/b/topic"}));
}

CAF_TEST(wildcard parents visit only matching parents) {
  CAF_CHECK_EQUAL(select("*/*/topic"), (strings{"rooms/a/topic", "rooms/b/topic"}));
  CAF_CHECK_EQUAL(select("rooms/*/*"), (strings{"rooms/a/topic", "rooms/b/topic", "rooms/b/name"}));
  CAF_CHECK_EQUAL(select("rooms/*/*", false),
                  (strings{"rooms/b/name", "rooms/b/topic", "rooms/a/topic"}));
  CAF_CHECK_EQUAL(select("*/b/*"), (strings{"rooms/b/topic", "rooms/b/name"}));
  CAF_CHECK_EQUAL(select("*/*/x"), strings{"users/1/x"});
  // `*/*` is every two-segment key, never one of one or three segments.
  CAF_CHECK_EQUAL(select("*/*"), (strings{"users/1", "users/3", "users/4", "users/2"}));
  // `*` is every one-segment key.
  CAF_CHECK_EQUAL(select("*"), (strings{"top", "other"}));
  CAF_CHECK_EQUAL(select("*", false), (strings{"other", "top"}));
  CAF_CHECK_EQUAL(select("*/*/*/*"), strings{});
}

CAF_TEST(exact patterns select one key) {
  CAF_CHECK_EQUAL(select("users/3"), strings{"users/3"});
  CAF_CHECK_EQUAL(select("top"), strings{"top"});
  CAF_CHECK_EQUAL(select("users/9"), strings{});
  CAF_CHECK_EQUAL(select("*/topic"), strings{});
  CAF_CHECK_EQUAL(select("rooms/*/name"), strings{"rooms/b/name"});
}

CAF_TEST(select appends after what the caller already holds and points at the owned keys) {
  std::string marker = "marker";
  std::vector<const std::string*> out{&marker};
  index.select("rooms/*/*", 0, 0, false, 2, out);
  CAF_REQUIRE_EQUAL(out.size(), 3u);
  CAF_CHECK_EQUAL(out[0], &marker);
  CAF_CHECK_EQUAL(*out[1], "rooms/b/name");
  CAF_CHECK_EQUAL(*out[2], "rooms/b/topic");
  index.select("users/*", 0, 0, true, 1, out);
  CAF_REQUIRE_EQUAL(out.size(), 4u);
  CAF_CHECK_EQUAL(out[3], &key("users/1"));
}

CAF_TEST(erase and clear) {
  erase("users/3", 20);
  CAF_CHECK_EQUAL(select("users/*"), (strings{"users/1", "users/4", "users/2"}));
  // An erase with the wrong `created` leaves the entry alone.
  erase("users/4", 21);
  CAF_CHECK_EQUAL(select("users/*"), (strings{"users/1", "users/4", "users/2"}));
  erase("users/missing", 1);
  erase("users/1/x", 40);
  CAF_CHECK_EQUAL(select("users/*/*"), strings{});
  CAF_CHECK_EQUAL(keys("users/1/*"), strings{});
  // A key re-inserted with a new `created` moves.
  erase("users/1", 10);
  insert("users/1", 35);
  CAF_CHECK_EQUAL(select("users/*"), (strings{"users/4", "users/2", "users/1"}));
  index.clear();
  CAF_CHECK_EQUAL(select("users/*"), strings{});
  CAF_CHECK_EQUAL(keys(""), strings{});
}

CAF_TEST(keys by pattern and range) {
  CAF_CHECK_EQUAL(keys("users/*"), (strings{"users/1", "users/2", "users/3", "users/4"}));
  CAF_CHECK_EQUAL(keys(""), (strings{"other", "rooms/a/topic", "rooms/b/name", "rooms/b/topic",
                                     "top", "users/1", "users/1/x", "users/2", "users/3",
                                     "users/4"}));
  CAF_CHECK_EQUAL(keys("*"), (strings{"other", "top"}));
  CAF_CHECK_EQUAL(keys("*/*/topic"), (strings{"rooms/a/topic", "rooms/b/topic"}));
  CAF_CHECK_EQUAL(keys("*/*"), (strings{"users/1", "users/2", "users/3", "users/4"}));
  CAF_CHECK_EQUAL(keys("users/2"), strings{"users/2"});
  CAF_CHECK_EQUAL(keys("users/9"), strings{});
  CAF_CHECK_EQUAL(keys("users/*", 20, 30), (strings{"users/2", "users/3", "users/4"}));
  CAF_CHECK_EQUAL(keys("users/*", 0, 19), strings{"users/1"});
  CAF_CHECK_EQUAL(keys("", 20, 0), (strings{"rooms/b/name", "users/1/x", "users/2", "users/3",
                                            "users/4"}));
  CAF_CHECK_EQUAL(keys("", 0, 2), (strings{"other", "top"}));
}

CAF_TEST_FIXTURE_SCOPE_END()

#define CAF_SUITE store_ops
#define FAIL(msg) CAF_FAIL(msg)
#include "caf/test/dsl.hpp"

#include "tests/unit/store_fixture.hpp"

#include "actors/store_state.hpp"

#include "messages/key.hpp"

using namespace ooo::storage;
using namespace ooo::storage::test;

namespace {

using strings = std::vector<std::string>;

write_options meta(int64_t created, int64_t updated = 0) {
  write_options opts;
  opts.created = created;
  opts.updated = updated;
  opts.keep_times = true;
  return opts;
}

struct fixture : store_fixture {
  fixture() {
    options opts;
    opts.max_value_size = 8;
    start(std::move(opts));
  }

  /// users/a..e and two keys that `users/*` must not match, with chosen `created`.
  void fill() {
    CAF_REQUIRE(set("users/a", "A", meta(100)));
    CAF_REQUIRE(set("users/b", "B", meta(300)));
    CAF_REQUIRE(set("users/c", "C", meta(200)));
    CAF_REQUIRE(set("users/d", "D", meta(200)));
    CAF_REQUIRE(set("users/e", "E", meta(400)));
    CAF_REQUIRE(set("users/x/deep", "X", meta(250)));
    CAF_REQUIRE(set("other/1", "O", meta(150)));
  }

  strings list_paths(const std::string& pattern, list_options opts = {}) {
    auto xs = list(pattern, opts);
    if (!xs) {
      CAF_MESSAGE("list failed: " << render(xs.error()));
      return {"<error>"};
    }
    return paths(*xs);
  }

  static list_options lo(bool ascending, int64_t offset = 0, int64_t limit = 0,
                         int64_t from = 0, int64_t to = 0) {
    list_options opts;
    opts.ascending = ascending;
    opts.offset = offset;
    opts.limit = limit;
    opts.created_from = from;
    opts.created_to = to;
    return opts;
  }
};

} // namespace

CAF_TEST_FIXTURE_SCOPE(store_ops_tests, fixture)

CAF_TEST(set then get returns the object with its metadata) {
  auto r = set("users/1", "hello");
  CAF_REQUIRE(r);
  CAF_CHECK_EQUAL(r->key, "users/1");
  CAF_CHECK_EQUAL(r->revision, 1u);
  CAF_CHECK_GREATER(r->created, 0);
  CAF_CHECK_EQUAL(r->updated, 0);
  auto obj = get("users/1");
  CAF_REQUIRE(obj);
  CAF_CHECK_EQUAL(obj->path, "users/1");
  CAF_CHECK_EQUAL(std::string{obj->index()}, "1");
  CAF_CHECK_EQUAL(to_str(obj->data), "hello");
  CAF_CHECK_EQUAL(obj->created, r->created);
  CAF_CHECK_EQUAL(obj->updated, 0);
  CAF_CHECK_EQUAL(obj->revision, 1u);
}

CAF_TEST(overwrite keeps created and sets updated) {
  auto first = set("users/1", "one");
  CAF_REQUIRE(first);
  auto second = set("users/1", "two");
  CAF_REQUIRE(second);
  CAF_CHECK_EQUAL(second->revision, 2u);
  CAF_CHECK_EQUAL(second->created, first->created);
  CAF_CHECK_GREATER(second->updated, first->created);
  auto third = set("users/1", "three");
  CAF_REQUIRE(third);
  CAF_CHECK_EQUAL(third->created, first->created);
  CAF_CHECK_GREATER(third->updated, second->updated);
  auto obj = get("users/1");
  CAF_REQUIRE(obj);
  CAF_CHECK_EQUAL(to_str(obj->data), "three");
  CAF_CHECK_EQUAL(obj->created, first->created);
  CAF_CHECK_EQUAL(obj->updated, third->updated);
  CAF_CHECK_EQUAL(obj->revision, 3u);
}

CAF_TEST(set refuses bad keys and values and changes nothing) {
  CAF_CHECK(failed_with(set("", "v"), errc::invalid_path));
  CAF_CHECK(failed_with(set("a//b", "v"), errc::invalid_path));
  CAF_CHECK(failed_with(set("/a", "v"), errc::invalid_path));
  CAF_CHECK(failed_with(set("a b", "v"), errc::invalid_path));
  CAF_CHECK(failed_with(set(std::string(max_key_size + 1, 'k'), "v"), errc::invalid_path));
  CAF_CHECK(failed_with(set("users/*", "v"), errc::glob_not_allowed));
  CAF_CHECK(failed_with(set("*", "v"), errc::glob_not_allowed));
  CAF_CHECK(failed_with(set("users/1", ""), errc::invalid_data));
  CAF_CHECK(failed_with(set("users/1", "123456789"), errc::too_large));
  CAF_CHECK(set(std::string(max_key_size, 'k'), "12345678"));
  auto st = stats();
  CAF_REQUIRE(st);
  CAF_CHECK_EQUAL(st->keys, 1u);
  CAF_CHECK_EQUAL(st->revision, 1u);
  CAF_CHECK(failed_with(get("users/1"), errc::not_found));
  auto err = set("users/1", "");
  CAF_REQUIRE(!err);
  CAF_CHECK_EQUAL(render(err.error()), "invalid_data: empty value for users/1");
}

CAF_TEST(get errors) {
  CAF_CHECK(failed_with(get("users/1"), errc::not_found));
  CAF_CHECK(failed_with(get("users/*"), errc::glob_not_allowed));
  CAF_CHECK(failed_with(get("a//b"), errc::invalid_path));
  CAF_CHECK(failed_with(get(""), errc::invalid_path));
}

CAF_TEST(push creates increasing keys under the pattern) {
  strings keys;
  for (int i = 0; i < 20; ++i) {
    auto r = ask<receipt>(push_atom::value, std::string{"rooms/r1/msgs/*"},
                          to_bytes("m" + std::to_string(i)));
    CAF_REQUIRE(r);
    CAF_CHECK(matches("rooms/r1/msgs/*", r->key));
    CAF_CHECK(check_key(r->key) == errc::none);
    CAF_CHECK_EQUAL(r->key, push_key("rooms/r1/msgs/*", r->created));
    CAF_CHECK_EQUAL(r->updated, 0);
    if (!keys.empty())
      CAF_CHECK_GREATER(r->key, keys.back());
    keys.push_back(r->key);
  }
  CAF_CHECK_EQUAL(list_paths("rooms/r1/msgs/*", lo(true)), keys);
  auto obj = get(keys[3]);
  CAF_REQUIRE(obj);
  CAF_CHECK_EQUAL(to_str(obj->data), "m3");
  auto push = [&](std::string pattern, std::string data) {
    return ask<receipt>(push_atom::value, std::move(pattern), to_bytes(data));
  };
  CAF_CHECK(failed_with(push("rooms", "x"), errc::glob_required));
  CAF_CHECK(failed_with(push("rooms/r1", "x"), errc::glob_required));
  CAF_CHECK(failed_with(push("*/msgs/*", "x"), errc::glob_not_allowed));
  CAF_CHECK(failed_with(push("rooms/*/x", "x"), errc::glob_not_allowed));
  CAF_CHECK(failed_with(push("a//*", "x"), errc::invalid_path));
  CAF_CHECK(failed_with(push("rooms/*", ""), errc::invalid_data));
  CAF_CHECK(failed_with(push("rooms/*", "123456789"), errc::too_large));
  CAF_CHECK_EQUAL(must(stats()).keys, 20u);
}

CAF_TEST(set with meta keeps the given timestamps) {
  auto r = set("import/1", "v", meta(1000, 2000));
  CAF_REQUIRE(r);
  CAF_CHECK_EQUAL(r->created, 1000);
  CAF_CHECK_EQUAL(r->updated, 2000);
  auto obj = get("import/1");
  CAF_REQUIRE(obj);
  CAF_CHECK_EQUAL(obj->created, 1000);
  CAF_CHECK_EQUAL(obj->updated, 2000);
  CAF_REQUIRE(set("import/2", "w", meta(1500)));
  CAF_CHECK_EQUAL(list_paths("import/*", lo(true)), (strings{"import/1", "import/2"}));
  // Restoring over an existing key moves it in `created` order.
  CAF_REQUIRE(set("import/1", "v2", meta(3000, 3500)));
  obj = get("import/1");
  CAF_REQUIRE(obj);
  CAF_CHECK_EQUAL(obj->created, 3000);
  CAF_CHECK_EQUAL(obj->updated, 3500);
  CAF_CHECK_EQUAL(to_str(obj->data), "v2");
  CAF_CHECK_EQUAL(list_paths("import/*", lo(true)), (strings{"import/2", "import/1"}));
  CAF_CHECK_EQUAL(list_paths("import/*", lo(true, 0, 0, 2000, 0)), strings{"import/1"});
  // A plain set afterwards keeps the restored `created`.
  auto plain = set("import/1", "v3");
  CAF_REQUIRE(plain);
  CAF_CHECK_EQUAL(plain->created, 3000);
  CAF_CHECK_GREATER(plain->updated, 3500);
  CAF_CHECK(failed_with(set("import/*", "v", meta(1, 2)), errc::glob_not_allowed));
  CAF_CHECK(failed_with(set("import//1", "v", meta(1, 2)), errc::invalid_path));
  CAF_CHECK(failed_with(set("import/3", "", meta(1, 2)), errc::invalid_data));
}

CAF_TEST(compare and set by expected revision) {
  write_options create_only;
  create_only.expected_revision = 0;
  auto r = set("cas/1", "first", create_only);
  CAF_REQUIRE(r);
  CAF_CHECK(failed_with(set("cas/1", "again", create_only), errc::conflict));
  write_options at;
  at.expected_revision = static_cast<int64_t>(r->revision);
  auto r2 = set("cas/1", "second", at);
  CAF_REQUIRE(r2);
  // `at` is stale now.
  auto lost = set("cas/1", "third", at);
  CAF_CHECK(failed_with(lost, errc::conflict));
  CAF_CHECK_EQUAL(render(lost.error()),
                  "conflict: cas/1 is at revision " + std::to_string(r2->revision));
  write_options missing;
  missing.expected_revision = 7;
  CAF_CHECK(failed_with(set("cas/2", "x", missing), errc::conflict));
  auto obj = get("cas/1");
  CAF_REQUIRE(obj);
  CAF_CHECK_EQUAL(to_str(obj->data), "second");
  CAF_CHECK_EQUAL(obj->revision, r2->revision);
  CAF_CHECK(failed_with(get("cas/2"), errc::not_found));
  CAF_CHECK_EQUAL(must(stats()).revision, 2u);
}

CAF_TEST(list order offset and limit across shards) {
  fill();
  // Newest first by default; `created` ties by key, descending order is the exact reverse.
  CAF_CHECK_EQUAL(list_paths("users/*"),
                  (strings{"users/e", "users/b", "users/d", "users/c", "users/a"}));
  CAF_CHECK_EQUAL(list_paths("users/*", lo(true)),
                  (strings{"users/a", "users/c", "users/d", "users/b", "users/e"}));
  CAF_CHECK_EQUAL(list_paths("users/*", lo(false, 1, 2)), (strings{"users/b", "users/d"}));
  CAF_CHECK_EQUAL(list_paths("users/*", lo(true, 1, 3)),
                  (strings{"users/c", "users/d", "users/b"}));
  CAF_CHECK_EQUAL(list_paths("users/*", lo(true, 3, 5)), (strings{"users/b", "users/e"}));
  CAF_CHECK_EQUAL(list_paths("users/*", lo(true, 5)), strings{});
  CAF_CHECK_EQUAL(list_paths("users/*", lo(true, 50, 1)), strings{});
  CAF_CHECK_EQUAL(list_paths("users/*", lo(false, 0, 1)), strings{"users/e"});
  CAF_CHECK_EQUAL(list_paths("users/*", lo(false, 4)), strings{"users/a"});
  CAF_CHECK_EQUAL(list_paths("*/*", lo(true)),
                  (strings{"users/a", "other/1", "users/c", "users/d", "users/b", "users/e"}));
  CAF_CHECK_EQUAL(list_paths("users/*/deep"), strings{"users/x/deep"});
  CAF_CHECK_EQUAL(list_paths("nobody/*"), strings{});
  auto objs = list("users/*", lo(true, 0, 1));
  CAF_REQUIRE(objs);
  CAF_REQUIRE_EQUAL(objs->size(), 1u);
  CAF_CHECK_EQUAL(to_str(objs->front().data), "A");
  CAF_CHECK_EQUAL(objs->front().created, 100);
}

CAF_TEST(list by created range) {
  fill();
  CAF_CHECK_EQUAL(list_paths("users/*", lo(true, 0, 0, 200, 300)),
                  (strings{"users/c", "users/d", "users/b"}));
  CAF_CHECK_EQUAL(list_paths("users/*", lo(true, 0, 0, 200, 0)),
                  (strings{"users/c", "users/d", "users/b", "users/e"}));
  CAF_CHECK_EQUAL(list_paths("users/*", lo(false, 0, 0, 0, 200)),
                  (strings{"users/d", "users/c", "users/a"}));
  CAF_CHECK_EQUAL(list_paths("users/*", lo(true, 0, 0, 200, 200)),
                  (strings{"users/c", "users/d"}));
  CAF_CHECK_EQUAL(list_paths("users/*", lo(false, 1, 1, 150, 450)), strings{"users/b"});
  CAF_CHECK_EQUAL(list_paths("users/*", lo(true, 0, 0, 401, 0)), strings{});
}

CAF_TEST(list errors) {
  fill();
  CAF_CHECK(failed_with(list("users/a"), errc::glob_required));
  CAF_CHECK(failed_with(list("users"), errc::glob_required));
  CAF_CHECK(failed_with(list("users//*"), errc::invalid_path));
  CAF_CHECK(failed_with(list("users/*x"), errc::invalid_path));
  CAF_CHECK(failed_with(list(""), errc::invalid_path));
  CAF_CHECK(failed_with(list("users/*", lo(true, -1)), errc::invalid_limit));
  CAF_CHECK(failed_with(list("users/*", lo(true, 0, -1)), errc::invalid_limit));
  CAF_CHECK(failed_with(list("users/*", lo(true, 0, 0, 300, 200)), errc::invalid_range));
  CAF_CHECK(failed_with(list("users/*", lo(true, 0, 0, -1, 0)), errc::invalid_range));
  CAF_CHECK(failed_with(list("users/*", lo(true, 0, 0, 0, -5)), errc::invalid_range));
}

CAF_TEST(keys are sorted) {
  fill();
  CAF_CHECK_EQUAL(must(keys("users/*")),
                  (strings{"users/a", "users/b", "users/c", "users/d", "users/e"}));
  CAF_CHECK_EQUAL(must(keys("")), (strings{"other/1", "users/a", "users/b", "users/c", "users/d",
                                      "users/e", "users/x/deep"}));
  CAF_CHECK_EQUAL(must(keys("*/*/deep")), strings{"users/x/deep"});
  CAF_CHECK_EQUAL(must(keys("users/*", lo(true, 0, 0, 200, 300))),
                  (strings{"users/b", "users/c", "users/d"}));
  CAF_CHECK_EQUAL(must(keys("users/*", lo(true, 1, 2))), (strings{"users/b", "users/c"}));
  CAF_CHECK_EQUAL(must(keys("nobody/*")), strings{});
  CAF_CHECK(failed_with(keys("users//*"), errc::invalid_path));
  CAF_CHECK(failed_with(keys("users/*", lo(true, -1)), errc::invalid_limit));
  CAF_CHECK(failed_with(keys("users/*", lo(true, 0, 0, 5, 1)), errc::invalid_range));
}

CAF_TEST(del deletes one key or every match) {
  fill();
  CAF_CHECK_EQUAL(must(del("users/a")), 1u);
  CAF_CHECK(failed_with(get("users/a"), errc::not_found));
  CAF_CHECK(failed_with(del("users/a"), errc::not_found));
  CAF_CHECK(failed_with(del("a//b"), errc::invalid_path));
  CAF_CHECK(failed_with(del(""), errc::invalid_path));
  CAF_CHECK_EQUAL(must(del("nobody/*")), 0u);
  auto before = must(stats()).revision;
  CAF_CHECK_EQUAL(must(del("users/*")), 4u);
  CAF_CHECK_EQUAL(must(stats()).revision, before + 4);
  CAF_CHECK_EQUAL(must(keys("")), (strings{"other/1", "users/x/deep"}));
  CAF_CHECK_EQUAL(must(ask<deleted>(del_silent_atom::value, std::string{"other/1"})).count, 1u);
  CAF_CHECK(failed_with(ask<deleted>(del_silent_atom::value, std::string{"other/1"}),
                        errc::not_found));
  CAF_CHECK(failed_with(ask<deleted>(del_silent_atom::value, std::string{"a//*"}),
                        errc::invalid_path));
  CAF_CHECK_EQUAL(must(ask<deleted>(del_silent_atom::value, std::string{"*/*/*"})).count, 1u);
  CAF_CHECK_EQUAL(must(keys("")), strings{});
  CAF_CHECK_EQUAL(must(stats()).keys, 0u);
}

CAF_TEST(clear removes everything) {
  fill();
  CAF_CHECK_EQUAL(must(ask<deleted>(clear_atom::value)).count, 7u);
  CAF_CHECK_EQUAL(must(stats()).keys, 0u);
  CAF_CHECK_EQUAL(must(keys("")), strings{});
  CAF_CHECK_EQUAL(must(ask<deleted>(clear_atom::value)).count, 0u);
  CAF_REQUIRE(set("users/a", "again"));
  CAF_CHECK_EQUAL(list_paths("users/*"), strings{"users/a"});
}

CAF_TEST(stats and active) {
  fill();
  auto st = stats();
  CAF_REQUIRE(st);
  CAF_CHECK_EQUAL(st->keys, 7u);
  CAF_CHECK_EQUAL(st->revision, 7u);
  CAF_CHECK_EQUAL(st->shards, 4u);
  CAF_CHECK_EQUAL(st->subscribers, 0u);
  CAF_CHECK_EQUAL(st->locks, 0u);
  CAF_CHECK_EQUAL(st->durability, "memory");
  CAF_CHECK_EQUAL(must(ask<bool>(active_atom::value)), true);
  CAF_CHECK(ask<void>(start_atom::value)); // starting twice is harmless
}

CAF_TEST(subscribe checks its arguments) {
  auto log = std::make_shared<event_log>();
  auto sub = spawn_recorder(sys, log);
  spawned.push_back(sub);
  CAF_CHECK(failed_with(ask<uint64_t>(caf::subscribe_atom::value, std::string{"a//*"}, sub),
                        errc::invalid_path));
  CAF_CHECK(failed_with(ask<uint64_t>(caf::subscribe_atom::value, std::string{"a/*"},
                                      caf::actor{}),
                        errc::invalid_data));
  auto id = ask<uint64_t>(caf::subscribe_atom::value, std::string{"a/*"}, sub);
  CAF_REQUIRE(id);
  CAF_CHECK_EQUAL(must(stats()).subscribers, 1u);
  CAF_REQUIRE(set("a/1", "x"));
  drain();
  CAF_CHECK_EQUAL(log->size(), 1u);
  CAF_CHECK(ask<void>(caf::unsubscribe_atom::value, *id));
  CAF_CHECK_EQUAL(must(stats()).subscribers, 0u);
  CAF_REQUIRE(set("a/2", "x"));
  drain();
  CAF_CHECK_EQUAL(log->size(), 1u);
}

CAF_TEST_FIXTURE_SCOPE_END()

namespace {

/// Every operation of the interface, each answering `not_active` on an inactive store.
void check_all_inactive(store_fixture& f) {
  auto inactive = [](auto x) { return failed_with(x, errc::not_active); };
  CAF_CHECK(inactive(f.set("users/1", "v")));
  write_options wm;
  wm.created = 5;
  wm.keep_times = true;
  CAF_CHECK(inactive(f.set("users/1", "v", wm)));
  CAF_CHECK(inactive(f.ask<receipt>(push_atom::value, std::string{"users/*"}, to_bytes("v"))));
  CAF_CHECK(inactive(f.get("users/1")));
  CAF_CHECK(inactive(f.list("users/*")));
  CAF_CHECK(inactive(f.keys("users/*")));
  CAF_CHECK(inactive(f.del("users/1")));
  CAF_CHECK(inactive(f.del("users/*")));
  CAF_CHECK(inactive(f.ask<deleted>(del_silent_atom::value, std::string{"users/1"})));
  CAF_CHECK(inactive(f.ask<deleted>(del_silent_atom::value, std::string{"users/*"})));
  CAF_CHECK(inactive(f.ask<uint64_t>(lock_atom::value, std::string{"users/1"}, uint32_t{0})));
  CAF_CHECK(
    inactive(f.ask<lock_grant>(get_lock_atom::value, std::string{"users/1"}, uint32_t{0})));
  CAF_CHECK(inactive(f.ask<void>(unlock_atom::value, std::string{"users/1"}, uint64_t{1})));
  CAF_CHECK(inactive(f.ask<deleted>(clear_atom::value)));
  auto sub = spawn_recorder(f.sys, std::make_shared<event_log>());
  f.spawned.push_back(sub);
  CAF_CHECK(inactive(f.ask<uint64_t>(caf::subscribe_atom::value, std::string{"users/*"}, sub)));
  CAF_CHECK(inactive(f.stats()));
  CAF_CHECK_EQUAL(*f.ask<bool>(active_atom::value), false);
}

} // namespace

CAF_TEST_FIXTURE_SCOPE(store_lifecycle_tests, store_fixture)

CAF_TEST(every operation is not active before start) {
  options opts;
  opts.shards = 2;
  spawn(opts);
  check_all_inactive(*this);
  CAF_REQUIRE(ask<void>(start_atom::value));
  CAF_CHECK_EQUAL(must(ask<bool>(active_atom::value)), true);
  CAF_CHECK(set("users/1", "v"));
}

CAF_TEST(every operation is not active after close) {
  start();
  CAF_REQUIRE(set("users/1", "v"));
  CAF_REQUIRE(ask<void>(caf::close_atom::value));
  check_all_inactive(*this);
  // Close again is harmless.
  CAF_CHECK(ask<void>(caf::close_atom::value));
  check_all_inactive(*this);
}

CAF_TEST(a closed store starts again with what it held) {
  start();
  CAF_REQUIRE(set("users/1", "v"));
  CAF_REQUIRE(ask<void>(caf::close_atom::value));
  CAF_REQUIRE(ask<void>(start_atom::value));
  CAF_CHECK_EQUAL(must(ask<bool>(active_atom::value)), true);
  CAF_CHECK_EQUAL(to_str(must(get("users/1")).data), "v");
  CAF_CHECK(set("users/2", "w"));
  CAF_CHECK_EQUAL(must(keys("users/*")), (strings{"users/1", "users/2"}));
}

CAF_TEST(close answers queued glob deletes) {
  start();
  CAF_REQUIRE(set("users/1", "v"));
  CAF_REQUIRE(set("users/2", "v"));
  // Queue a glob delete, a clear and a close behind each other without running anything.
  auto first = later<deleted>("del", del_atom::value, std::string{"users/*"});
  auto second = later<deleted>("clear", clear_atom::value);
  auto closed = later<void>("close", caf::close_atom::value);
  drain();
  CAF_REQUIRE(first->has_value());
  CAF_REQUIRE(second->has_value());
  CAF_REQUIRE(closed->has_value());
  CAF_CHECK(**closed);
  // Neither had collected its keys when the close came: both are refused, nothing deleted.
  CAF_CHECK(failed_with(**first, errc::not_active));
  CAF_CHECK(failed_with(**second, errc::not_active));
  CAF_CHECK_EQUAL(*answered, (strings{"del", "clear", "close"}));
  CAF_REQUIRE(ask<void>(start_atom::value));
  CAF_CHECK_EQUAL(must(keys("users/*")), (strings{"users/1", "users/2"}));
}

CAF_TEST(close lets a glob delete that collected its keys finish) {
  start();
  CAF_REQUIRE(set("users/1", "v"));
  CAF_REQUIRE(set("users/2", "v"));
  auto first = later<deleted>("del", del_atom::value, std::string{"users/*"});
  // Run until the glob delete is collecting (its prepare went round), then close.
  auto& router = deref<store_actor::stateful_base<store_state>>(store).state;
  while (router.running_glob == 0 && sched.has_job())
    sched.run_once();
  CAF_REQUIRE_NOT_EQUAL(router.running_glob, 0u);
  CAF_REQUIRE(!first->has_value());
  auto closed = later<void>("close", caf::close_atom::value);
  drain();
  CAF_REQUIRE(first->has_value());
  CAF_REQUIRE(closed->has_value());
  CAF_CHECK(**closed);
  CAF_CHECK_EQUAL(*answered, (strings{"del", "close"}));
  CAF_CHECK_EQUAL((**first)->count, 2u);
}

CAF_TEST_FIXTURE_SCOPE_END()

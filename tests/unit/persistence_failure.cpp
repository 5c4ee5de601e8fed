#define CAF_SUITE persistence_failure
#define FAIL(msg) CAF_FAIL(msg)
#include "caf/test/dsl.hpp"

#include "tests/unit/store_fixture.hpp"

#include "messages/key.hpp"
#include "tests/support/faulty_adapter.hpp"

using namespace ooo::storage;
using namespace ooo::storage::test;

namespace {

using strings = std::vector<std::string>;

constexpr size_t shards = 3;

/// A store on a real actor system (the persistence actor runs on its own thread) writing
/// through a `faulty_adapter` that keeps its records in memory.
struct fixture {
  test_config cfg;
  caf::actor_system sys{cfg};
  caf::scoped_actor self{sys};
  std::shared_ptr<faulty_adapter::controls> ctl = std::make_shared<faulty_adapter::controls>();
  store_actor store;
  std::shared_ptr<event_log> events = std::make_shared<event_log>();
  caf::actor subscriber;

  fixture() {
    store_config sc;
    sc.opts.shards = shards;
    sc.persistent = std::make_unique<faulty_adapter>(ctl, nullptr);
    sc.mode = durability::sync;
    store = spawn_store(sys, std::move(sc));
  }

  ~fixture() {
    self->send_exit(store, caf::exit_reason::user_shutdown);
    if (subscriber)
      self->send_exit(subscriber, caf::exit_reason::user_shutdown);
  }

  template <class T, class... Ts>
  caf::expected<T> ask(Ts&&... xs) {
    caf::expected<T> result{caf::make_error(caf::sec::request_timeout)};
    auto on_error = [&](caf::error& err) { result = std::move(err); };
    if constexpr (std::is_void<T>::value)
      self->request(store, std::chrono::seconds{5}, std::forward<Ts>(xs)...)
        .receive([&] { result = caf::expected<void>{}; }, on_error);
    else
      self->request(store, std::chrono::seconds{5}, std::forward<Ts>(xs)...)
        .receive([&](T& x) { result = std::move(x); }, on_error);
    return result;
  }

  caf::expected<receipt> set(const std::string& key, std::string_view data,
                             write_options opts = {}) {
    return ask<receipt>(set_atom::value, key, to_bytes(data), opts);
  }

  /// Everything the store holds, as seen by reads.
  std::vector<object> snapshot() {
    std::vector<object> result;
    for (auto pattern : {"*", "*/*", "*/*/*"}) {
      list_options opts;
      opts.ascending = true;
      auto xs = ask<std::vector<object>>(list_atom::value, std::string{pattern}, opts);
      CAF_REQUIRE(xs);
      result.insert(result.end(), xs->begin(), xs->end());
    }
    return result;
  }

  uint64_t revision() {
    auto st = ask<store_stats>(stats_atom::value);
    CAF_REQUIRE(st);
    return st->revision;
  }

  /// Starts, fills, subscribes to everything and waits for the fill's events to pass.
  void start_and_fill() {
    CAF_REQUIRE(ask<void>(start_atom::value));
    subscriber = spawn_recorder(sys, events);
    for (auto pattern : {"*", "*/*", "*/*/*"})
      CAF_REQUIRE(ask<uint64_t>(caf::subscribe_atom::value, std::string{pattern}, subscriber));
    for (auto k : {"users/1", "users/2", "users/3", "rooms/a/topic", "top"})
      CAF_REQUIRE(set(k, std::string{"v-"} + k));
    CAF_REQUIRE(events->wait_for(5));
  }

  /// Writes one key per shard once faults are off and waits for their events: anything a
  /// failed operation had sent would have arrived before them (per-shard order).
  void flush_events() {
    size_t expected = events->size();
    std::vector<bool> covered(shards);
    for (int i = 0; std::count(covered.begin(), covered.end(), true) < int{shards}; ++i) {
      auto key = "sentinel/" + std::to_string(i);
      auto s = shard_of(key, shards);
      if (covered[s])
        continue;
      covered[s] = true;
      CAF_REQUIRE(set(key, "s"));
      ++expected;
    }
    CAF_REQUIRE(events->wait_for(expected));
    std::this_thread::sleep_for(std::chrono::milliseconds{20});
    CAF_CHECK_EQUAL(events->size(), expected);
  }
};

} // namespace

CAF_TEST_FIXTURE_SCOPE(persistence_failure_tests, fixture)

CAF_TEST(a failed write changes nothing and sends nothing) {
  start_and_fill();
  auto before = snapshot();
  CAF_REQUIRE_EQUAL(before.size(), 5u);
  auto rev = revision();
  CAF_CHECK_EQUAL(rev, 5u);
  auto records = ctl->records();
  CAF_CHECK_EQUAL(records, 5u);
  auto events_before = events->size();
  ctl->fail_every_write(true);
  auto failed = [&](auto x, const char* what) {
    CAF_MESSAGE(what);
    CAF_CHECK(failed_with(x, errc::persistence_failed));
    CAF_CHECK(snapshot() == before);
    CAF_CHECK_EQUAL(revision(), rev);
    CAF_CHECK_EQUAL(ctl->records(), records);
  };
  failed(set("users/1", "overwrite"), "set of an existing key");
  failed(set("users/9", "new"), "set of a new key");
  failed(ask<receipt>(push_atom::value, std::string{"users/*"}, to_bytes("pushed")), "push");
  write_options meta;
  meta.created = 1000;
  meta.updated = 2000;
  meta.keep_times = true;
  failed(set("users/2", "restored", meta), "set_with_meta of an existing key");
  failed(set("users/8", "restored", meta), "set_with_meta of a new key");
  failed(ask<deleted>(del_atom::value, std::string{"users/3"}), "del");
  failed(ask<deleted>(del_silent_atom::value, std::string{"users/3"}), "del_silent");
  failed(ask<deleted>(del_atom::value, std::string{"users/*"}), "glob del");
  failed(ask<deleted>(del_silent_atom::value, std::string{"users/*"}), "glob del_silent");
  failed(ask<deleted>(clear_atom::value), "clear");
  CAF_CHECK_EQUAL(ctl->failed_writes(), 10u);
  CAF_CHECK(failed_with(ask<object>(caf::get_atom::value, std::string{"users/9"}),
                        errc::not_found));
  auto err = set("users/1", "x");
  CAF_REQUIRE(!err);
  CAF_CHECK_EQUAL(render(err.error()), "persistence_failed: injected fault: every write fails");
  ctl->fail_every_write(false);
  flush_events();
  CAF_CHECK_EQUAL(events->size(), events_before + shards);
  for (auto& ev : events->snapshot())
    CAF_CHECK(ev.key.rfind("sentinel/", 0) == 0 || ev.revision <= rev);
  CAF_CHECK_EQUAL(events->other_messages(), strings{});
}

CAF_TEST(the store works normally after failures) {
  start_and_fill();
  ctl->fail_nth_write(ctl->write_calls() + 1);
  CAF_CHECK(failed_with(set("users/1", "lost"), errc::persistence_failed));
  // The same key again: nothing of the failed write is in the way.
  auto r = set("users/1", "kept");
  CAF_REQUIRE(r);
  CAF_CHECK_EQUAL(r->revision, 6u);
  auto obj = ask<object>(caf::get_atom::value, std::string{"users/1"});
  CAF_REQUIRE(obj);
  CAF_CHECK_EQUAL(to_str(obj->data), "kept");
  CAF_CHECK_GREATER(obj->updated, 0);
  CAF_CHECK_EQUAL(store_fixture::must(ask<deleted>(del_atom::value, std::string{"users/*"})).count, 3u);
  CAF_CHECK_EQUAL(ctl->records(), 2u);
  CAF_CHECK_EQUAL(revision(), 9u);
}

CAF_TEST(a glob delete is one batch: one failing key keeps every key) {
  start_and_fill();
  ctl->fail_key("users/2");
  CAF_CHECK(failed_with(ask<deleted>(del_atom::value, std::string{"users/*"}),
                        errc::persistence_failed));
  auto keys = ask<std::vector<std::string>>(keys_atom::value, std::string{"users/*"},
                                            list_options{});
  CAF_REQUIRE(keys);
  CAF_CHECK_EQUAL(*keys, (strings{"users/1", "users/2", "users/3"}));
  // Writes of other keys are not affected.
  CAF_CHECK(set("users/1", "fine"));
  ctl->clear_fail_key();
  CAF_CHECK_EQUAL(store_fixture::must(ask<deleted>(del_atom::value, std::string{"users/*"})).count, 3u);
}

CAF_TEST(a failing load keeps the store inactive) {
  ctl->fail_load(true);
  CAF_CHECK(failed_with(ask<void>(start_atom::value), errc::persistence_failed));
  CAF_CHECK_EQUAL(store_fixture::must(ask<bool>(active_atom::value)), false);
  CAF_CHECK(failed_with(set("users/1", "x"), errc::not_active));
  ctl->fail_load(false);
  CAF_CHECK(ask<void>(start_atom::value));
  CAF_CHECK(set("users/1", "x"));
}

CAF_TEST(close flushes and answers) {
  start_and_fill();
  CAF_CHECK(ask<void>(caf::close_atom::value));
  CAF_CHECK_EQUAL(ctl->records(), 5u);
  CAF_CHECK(failed_with(set("users/1", "x"), errc::not_active));
}

CAF_TEST_FIXTURE_SCOPE_END()

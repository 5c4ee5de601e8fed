#define CAF_SUITE store_order
#define FAIL(msg) CAF_FAIL(msg)
#include "caf/test/dsl.hpp"

// The promises a pipelining client relies on, each under many interleavings of CAF's
// deterministic scheduler: its requests on overlapping keys take effect and are answered in
// the order it sent them. Each case is one the history checker (tests/model) found broken.

#include <random>

#include "tests/unit/store_fixture.hpp"

#include "actors/store_state.hpp"

using namespace ooo::storage;
using namespace ooo::storage::test;

namespace {

using strings = std::vector<std::string>;

/// What a pipelining client got back, in arrival order: "name=answer".
struct answers {
  strings got;
};

/// A client that sends `requests` one after the other without waiting and records each answer.
struct pipeline {
  std::shared_ptr<answers> out = std::make_shared<answers>();
  caf::actor client;
};

std::string describe(const object& x) {
  return x.path + "=" + to_str(x.data);
}

struct fixture : store_fixture {
  /// Runs the ready actors in an order drawn from `seed` until nothing is left.
  void run_shuffled(unsigned seed) {
    std::minstd_rand rng{seed};
    while (sched.has_job()) {
      auto n = sched.jobs.size();
      auto pick = sched.jobs.begin() + static_cast<std::ptrdiff_t>(rng() % n);
      std::rotate(sched.jobs.begin(), pick, pick + 1);
      sched.run_once();
    }
  }

  /// One client sending `del b/*`, `del a/*`, `set a/1 new` without waiting.
  pipeline glob_then_set() {
    pipeline p;
    auto out = p.out;
    auto hdl = store;
    p.client = sys.spawn([=](caf::event_based_actor* self) -> caf::behavior {
      auto record = [=](std::string name) {
        return [=](caf::error& err) { out->got.push_back(name + "=" + render(err)); };
      };
      for (auto pattern : {"b/*", "a/*"})
        self->request(hdl, caf::infinite, del_atom::value, std::string{pattern})
          .then([=](deleted& d) {
                  out->got.push_back(std::string{"del "} + pattern + "=" + std::to_string(d.count));
                },
                record(std::string{"del "} + pattern));
      self->request(hdl, caf::infinite, set_atom::value, std::string{"a/1"}, to_bytes("new"),
                    write_options{})
        .then([=](receipt&) { out->got.push_back("set a/1=ok"); }, record("set a/1"));
      return {[](int) {}};
    });
    spawned.push_back(p.client);
    return p;
  }
};

} // namespace

CAF_TEST_FIXTURE_SCOPE(store_order_tests, fixture)

CAF_TEST(a queued glob delete is never overtaken by the same clients later set) {
  for (unsigned seed = 1; seed <= 50; ++seed) {
    CAF_MESSAGE("seed " << seed);
    spawn_persistent();
    CAF_REQUIRE(ask<void>(start_atom::value));
    CAF_REQUIRE(set("a/1", "old"));
    CAF_REQUIRE(set("b/1", "old"));
    auto p = glob_then_set();
    run_shuffled(seed);
    CAF_CHECK_EQUAL(p.out->got, (strings{"del b/*=1", "del a/*=1", "set a/1=ok"}));
    auto now = get("a/1");
    CAF_REQUIRE(now);
    CAF_CHECK_EQUAL(to_str(now->data), "new");
    caf::anon_send_exit(store, caf::exit_reason::user_shutdown);
    drain();
  }
}

CAF_TEST(a list sees the same clients write that was still in flight) {
  for (unsigned seed = 1; seed <= 50; ++seed) {
    CAF_MESSAGE("seed " << seed);
    spawn_persistent();
    CAF_REQUIRE(ask<void>(start_atom::value));
    CAF_REQUIRE(set("a/1", "old"));
    auto out = std::make_shared<strings>();
    auto hdl = store;
    spawned.push_back(sys.spawn([=](caf::event_based_actor* self) -> caf::behavior {
      self->request(hdl, caf::infinite, set_atom::value, std::string{"a/1"}, to_bytes("new"),
                    write_options{})
        .then([=](receipt&) { out->push_back("set"); },
              [=](caf::error& err) { out->push_back(render(err)); });
      self->request(hdl, caf::infinite, list_atom::value, std::string{"a/*"}, list_options{})
        .then(
          [=](std::vector<object>& xs) {
            out->push_back("list " + (xs.empty() ? std::string{"-"} : describe(xs.front())));
          },
          [=](caf::error& err) { out->push_back(render(err)); });
      self->request(hdl, caf::infinite, keys_atom::value, std::string{"a/*"}, list_options{})
        .then([=](std::vector<std::string>& ks) { out->push_back("keys " + std::to_string(ks.size())); },
              [=](caf::error& err) { out->push_back(render(err)); });
      return {[](int) {}};
    }));
    run_shuffled(seed);
    CAF_CHECK_EQUAL(*out, (strings{"set", "list a/1=new", "keys 1"}));
    caf::anon_send_exit(store, caf::exit_reason::user_shutdown);
    drain();
  }
}

CAF_TEST(reads queued behind a write are not refused by the lock waiter limit) {
  options opts;
  opts.max_lock_waiters = 3;
  spawn_persistent(opts);
  CAF_REQUIRE(ask<void>(start_atom::value));
  auto out = std::make_shared<strings>();
  auto hdl = store;
  spawned.push_back(sys.spawn([=](caf::event_based_actor* self) -> caf::behavior {
    self->request(hdl, caf::infinite, set_atom::value, std::string{"k"}, to_bytes("v"),
                  write_options{})
      .then([=](receipt&) { out->push_back("set"); },
            [=](caf::error& err) { out->push_back(render(err)); });
    for (int i = 0; i < 8; ++i)
      self->request(hdl, caf::infinite, caf::get_atom::value, std::string{"k"})
        .then([=](object& x) { out->push_back(to_str(x.data)); },
              [=](caf::error& err) { out->push_back(render(err)); });
    return {[](int) {}};
  }));
  drain();
  CAF_CHECK_EQUAL(*out, (strings{"set", "v", "v", "v", "v", "v", "v", "v", "v"}));
}

CAF_TEST(a hook that throws fails only its own call) {
  options opts;
  opts.before_read = [](const std::string& key) {
    if (key == "boom/1")
      throw std::runtime_error("no reading boom/1");
  };
  opts.after_write_op = [](const std::string& key, event_op) {
    if (key == "boom/1")
      throw std::runtime_error("no writing boom/1");
  };
  opts.after_write = [](const std::string& key) {
    if (key == "boom/1")
      throw 42; // not even a std::exception
  };
  start(opts);
  auto events = subscribe("*/*");
  // The write commits (the hooks run after the commit): it is answered as such, and announced.
  CAF_REQUIRE(set("boom/1", "x"));
  auto read = get("boom/1");
  CAF_REQUIRE(failed_with(read, errc::hook_failed));
  CAF_CHECK_EQUAL(render(read.error()), "hook_failed: boom/1: before_read threw: no reading boom/1");
  // Nothing else is affected: the shard, the event log and the revisions go on.
  for (int i = 0; i < 8; ++i)
    CAF_REQUIRE(set("ok/" + std::to_string(i), "y"));
  CAF_CHECK_EQUAL(to_str(must(get("ok/7")).data), "y");
  CAF_CHECK_EQUAL(events->size(), 9u);
  CAF_CHECK_EQUAL(must(stats()).revision, 9u);
}

CAF_TEST(a close during start wins) {
  spawn_persistent();
  auto started = later<void>("start", start_atom::value);
  auto closed = later<void>("close", caf::close_atom::value);
  drain();
  CAF_REQUIRE(started->has_value());
  CAF_REQUIRE(closed->has_value());
  CAF_CHECK(failed_with(**started, errc::not_active));
  CAF_CHECK(**closed);
  CAF_CHECK_EQUAL(must(ask<bool>(active_atom::value)), false);
  // A later start opens it again.
  CAF_REQUIRE(ask<void>(start_atom::value));
  CAF_CHECK(set("k", "v"));
}

CAF_TEST(a shard keeps one lease timer however many locks come and go) {
  options opts;
  opts.shards = 1;
  start(opts);
  for (int i = 0; i < 100; ++i) {
    auto token = ask<uint64_t>(lock_atom::value, std::string{"k"}, uint32_t{0});
    CAF_REQUIRE(token);
    CAF_REQUIRE(ask<void>(unlock_atom::value, std::string{"k"}, *token));
  }
  // Before, every lock left a pending lease message behind for its whole lease (30 s).
  CAF_CHECK_LESS_OR_EQUAL(sched.clock().schedule().size(), 1u);
}

CAF_TEST(a lease that runs out releases the lock and fences its token) {
  options opts;
  opts.shards = 1;
  opts.lock_lease = std::chrono::milliseconds{10};
  start(opts);
  auto token = ask<uint64_t>(lock_atom::value, std::string{"k"}, uint32_t{0});
  CAF_REQUIRE(token);
  CAF_REQUIRE(sched.trigger_timeout());
  drain();
  // Someone else writes; the old holder's token no longer writes anything.
  CAF_REQUIRE(set("k", "other"));
  write_options with_token;
  with_token.token = *token;
  CAF_CHECK(failed_with(set("k", "stale holder", with_token), errc::lock_not_found));
  CAF_CHECK_EQUAL(to_str(must(get("k")).data), "other");
}

CAF_TEST(an offset and limit that would overflow are refused) {
  start();
  list_options opts;
  opts.offset = INT64_MAX - 1;
  opts.limit = 10;
  CAF_CHECK(failed_with(list("a/*", opts), errc::invalid_limit));
  opts.offset = 1;
  opts.limit = INT64_MAX;
  CAF_CHECK(failed_with(keys("a/*", opts), errc::invalid_limit));
}

CAF_TEST_FIXTURE_SCOPE_END()

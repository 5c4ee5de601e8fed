#define CAF_SUITE store_events
#define FAIL(msg) CAF_FAIL(msg)
#include "caf/test/dsl.hpp"

#include <map>
#include <random>
#include <set>

#include "tests/unit/store_fixture.hpp"

#include "tests/support/faulty_adapter.hpp"

using namespace ooo::storage;
using namespace ooo::storage::test;

namespace {

using strings = std::vector<std::string>;

/// What one writer got back: its value and the receipt.
struct answer {
  int writer;
  int seq;
  std::string data;
  receipt r;
};

struct answer_log {
  std::mutex mtx;
  std::vector<answer> answers;
  std::vector<std::string> errors;
};

/// A writer that pipelines `n` sets of `key` and records each answer.
caf::behavior writer(caf::event_based_actor* self, store_actor store, std::string key, int id,
                     int n, std::shared_ptr<answer_log> log) {
  for (int i = 0; i < n; ++i) {
    auto data = "w" + std::to_string(id) + "-" + std::to_string(i);
    self->request(store, caf::infinite, set_atom::value, key, to_bytes(data), write_options{})
      .then(
        [=](receipt& r) {
          {
            std::lock_guard<std::mutex> guard{log->mtx};
            log->answers.push_back(answer{id, i, data, r});
          }
        },
        [=](caf::error& err) {
          {
            std::lock_guard<std::mutex> guard{log->mtx};
            log->errors.push_back(render(err));
          }
        });
  }
  return {[](int) {
    // nop
  }};
}

/// A writer that sends `n` sets of `key` one after the other (each after the previous answer),
/// records each answer and sends `ok` to `done` after the last.
void sequential_writer(caf::event_based_actor* self, store_actor store, std::string key, int id,
                       int n, std::shared_ptr<answer_log> log, caf::actor done, int i = 0) {
  if (i == n) {
    self->send(done, caf::ok_atom::value);
    return;
  }
  auto data = "w" + std::to_string(id) + "-" + std::to_string(i);
  self->request(store, caf::infinite, set_atom::value, key, to_bytes(data), write_options{})
    .then(
      [=](receipt& r) {
        {
          std::lock_guard<std::mutex> guard{log->mtx};
          log->answers.push_back(answer{id, i, data, r});
        }
        sequential_writer(self, store, key, id, n, log, done, i + 1);
      },
      [=](caf::error& err) {
        {
          std::lock_guard<std::mutex> guard{log->mtx};
          log->errors.push_back(render(err));
        }
        sequential_writer(self, store, key, id, n, log, done, i + 1);
      });
}

/// Checks per-key order: each writer's answers in its send order, one revision per answer,
/// `final_value` is the answer with the highest revision, and `events` (of `key` only) show
/// exactly the answers in revision order.
void check_order(const std::string& key, std::vector<answer> answers, size_t expected,
                 const caf::expected<object>& final_value, const std::vector<event>& events) {
  CAF_REQUIRE_EQUAL(answers.size(), expected);
  std::map<int, std::vector<answer>> per_writer;
  for (auto& a : answers)
    per_writer[a.writer].push_back(a);
  for (auto& [id, xs] : per_writer) {
    std::sort(xs.begin(), xs.end(), [](auto& x, auto& y) { return x.seq < y.seq; });
    for (size_t i = 1; i < xs.size(); ++i)
      CAF_CHECK_LESS(xs[i - 1].r.revision, xs[i].r.revision);
  }
  std::sort(answers.begin(), answers.end(),
            [](auto& x, auto& y) { return x.r.revision < y.r.revision; });
  for (size_t i = 1; i < answers.size(); ++i)
    CAF_CHECK_LESS(answers[i - 1].r.revision, answers[i].r.revision);
  CAF_REQUIRE(final_value);
  CAF_CHECK_EQUAL(to_str(final_value->data), answers.back().data);
  CAF_CHECK_EQUAL(final_value->revision, answers.back().r.revision);
  strings answered;
  for (auto& a : answers)
    answered.push_back("set " + key + " " + a.data + " @" + std::to_string(a.r.revision));
  strings seen;
  for (auto& ev : events)
    if (ev.key == key)
      seen.push_back(std::string{to_string(ev.op)} + " " + ev.key + " "
                     + (ev.value ? to_str(ev.value->data) : "-") + " @"
                     + std::to_string(ev.revision));
  CAF_CHECK_EQUAL(seen, answered);
}

struct fixture : store_fixture {
  /// True if `x` waits in the scheduler's queue, i.e. a message was sent to it that it has not
  /// handled yet. Looks, touches nothing (peeking into a mailbox would disturb it).
  bool scheduled(const caf::actor& x) {
    auto* job = static_cast<caf::resumable*>(&deref<caf::scheduled_actor>(x));
    return std::find(sched.jobs.begin(), sched.jobs.end(), job) != sched.jobs.end();
  }
};

} // namespace

// -- per-key order, deterministic interleavings ---------------------------------------------------

CAF_TEST_FIXTURE_SCOPE(store_events_tests, fixture)

CAF_TEST(per key order under random interleavings) {
  start();
  constexpr int writers = 20;
  constexpr int per_writer = 5;
  auto all = subscribe("hot/*");
  auto exact = subscribe("hot/k3");
  for (unsigned seed = 1; seed <= 6; ++seed) {
    auto key = "hot/k" + std::to_string(seed);
    CAF_MESSAGE("seed " << seed << ", key " << key);
    auto log = std::make_shared<answer_log>();
    for (int w = 0; w < writers; ++w)
      spawned.push_back(sys.spawn(writer, store, key, w, per_writer, log));
    // Run the ready actors in a random order: every interleaving of writers and replies.
    std::minstd_rand rng{seed};
    while (sched.has_job()) {
      if (rng() % 2 == 0)
        sched.run_once();
      else
        sched.run_once_lifo();
    }
    CAF_CHECK(log->errors.empty());
    check_order(key, log->answers, writers * per_writer, get(key), all->snapshot());
    if (key == "hot/k3")
      check_order(key, log->answers, writers * per_writer, get(key), exact->snapshot());
  }
  // The exact-key subscriber saw nothing else.
  for (auto& ev : exact->snapshot())
    CAF_CHECK_EQUAL(ev.key, "hot/k3");
  CAF_CHECK_EQUAL(exact->size(), static_cast<size_t>(writers * per_writer));
}

// -- hooks ------------------------------------------------------------------------------------

// DESIGN.md: `after_write_op` runs before the event is sent, `after_write` after it. A shard
// sends its events to the event log once per mailbox round and runs `after_write` right after
// that send; the subscriber gets the event from the event log later. So the order seen from
// here is: op hook (nothing sent yet) -> after hook -> delivery.
CAF_TEST(write hooks run before the event arrives and before read before reading) {
  auto log = std::make_shared<event_log>();
  auto trace = std::make_shared<strings>();
  // The subscriber's mailbox, inspected from the hooks (one thread: deterministic scheduler).
  auto has_mail = std::make_shared<std::function<bool()>>();
  options opts;
  opts.shards = 2;
  opts.after_write_op = [=](const std::string& key, event_op op) {
    trace->push_back(std::string{"op "} + to_string(op) + " " + key + " queued="
                     + ((*has_mail)() ? "yes" : "no"));
  };
  opts.after_write = [=](const std::string& key) {
    trace->push_back("after " + key);
  };
  opts.before_read = [=](const std::string& key) { trace->push_back("read " + key); };
  start(opts);
  auto sub = sys.spawn([=](caf::event_based_actor*) -> caf::behavior {
    return {[=](const event_batch& batch) {
      for (auto& ev : batch.events)
        trace->push_back(std::string{"event "} + to_string(ev.op) + " " + ev.key);
    }};
  });
  spawned.push_back(sub);
  *has_mail = [this, sub] { return scheduled(sub); };
  CAF_REQUIRE(ask<uint64_t>(caf::subscribe_atom::value, std::string{"users/*"}, sub));
  CAF_REQUIRE(set("users/1", "a"));
  CAF_CHECK_EQUAL(*trace,
                  (strings{"op set users/1 queued=no", "after users/1", "event set users/1"}));
  trace->clear();
  CAF_REQUIRE(get("users/1"));
  CAF_CHECK(failed_with(get("users/2"), errc::not_found));
  CAF_CHECK_EQUAL(*trace, (strings{"read users/1", "read users/2"}));
  trace->clear();
  CAF_REQUIRE(del("users/1"));
  CAF_CHECK_EQUAL(*trace,
                  (strings{"op del users/1 queued=no", "after users/1", "event del users/1"}));
  trace->clear();
  // Keys nobody subscribed to still run the hooks.
  CAF_REQUIRE(set("rooms/1", "a"));
  CAF_CHECK_EQUAL(*trace, (strings{"op set rooms/1 queued=no", "after rooms/1"}));
  trace->clear();
  // A failed write runs no hook.
  CAF_CHECK(failed_with(set("users/1", ""), errc::invalid_data));
  CAF_CHECK_EQUAL(*trace, strings{});
}

CAF_TEST(glob delete runs the hooks once per key around its batch of events) {
  auto trace = std::make_shared<strings>();
  auto has_mail = std::make_shared<std::function<bool()>>();
  options opts;
  opts.shards = 1; // one shard: the keys go in one apply, in one order
  opts.after_write_op = [=](const std::string& key, event_op op) {
    trace->push_back(std::string{"op "} + to_string(op) + " " + key + " queued="
                     + ((*has_mail)() ? "yes" : "no"));
  };
  opts.after_write = [=](const std::string& key) {
    trace->push_back("after " + key);
  };
  start(opts);
  auto log = std::make_shared<event_log>();
  auto sub = spawn_recorder(sys, log);
  spawned.push_back(sub);
  *has_mail = [this, sub] { return scheduled(sub); };
  CAF_REQUIRE(set("users/1", "a"));
  CAF_REQUIRE(set("users/2", "b"));
  CAF_REQUIRE(ask<uint64_t>(caf::subscribe_atom::value, std::string{"users/*"}, sub));
  trace->clear();
  auto n = del("users/*");
  CAF_REQUIRE(n);
  CAF_CHECK_EQUAL(*n, 2u);
  CAF_REQUIRE_EQUAL(trace->size(), 4u);
  // Each key's op hook runs before any event is on its way; the glob delete's events leave the
  // shard as one batch, and the after hooks run once it is sent, in the same key order.
  auto first = (*trace)[0].substr(7, 7);
  std::string second = first == "users/1" ? "users/2" : "users/1";
  CAF_CHECK_EQUAL(*trace, (strings{"op del " + first + " queued=no",
                                   "op del " + second + " queued=no", "after " + first,
                                   "after " + second}));
  CAF_CHECK_EQUAL(log->size(), 2u);
}

// -- which changes are announced --------------------------------------------------------------

CAF_TEST(events carry the committed object) {
  start();
  auto log = subscribe("users/*");
  auto r = set("users/1", "hello");
  CAF_REQUIRE(r);
  auto r2 = set("users/1", "again");
  CAF_REQUIRE(r2);
  CAF_REQUIRE(del("users/1"));
  CAF_CHECK(failed_with(del("users/1"), errc::not_found));
  auto evs = log->snapshot();
  CAF_REQUIRE_EQUAL(evs.size(), 3u);
  CAF_CHECK_EQUAL(evs[0].revision, r->revision);
  CAF_CHECK(evs[0].op == event_op::set);
  CAF_REQUIRE(evs[0].value);
  CAF_CHECK_EQUAL(evs[0].value->path, "users/1");
  CAF_CHECK_EQUAL(to_str(evs[0].value->data), "hello");
  CAF_CHECK_EQUAL(evs[0].value->created, r->created);
  CAF_CHECK_EQUAL(evs[0].value->updated, 0);
  CAF_CHECK_EQUAL(evs[0].value->revision, r->revision);
  CAF_CHECK_EQUAL(evs[1].revision, r2->revision);
  CAF_CHECK_EQUAL(evs[1].value->updated, r2->updated);
  CAF_CHECK(evs[2].op == event_op::del);
  CAF_CHECK_EQUAL(evs[2].key, "users/1");
  CAF_CHECK_EQUAL(evs[2].revision, r2->revision + 1);
  CAF_REQUIRE(evs[2].value);
  CAF_CHECK_EQUAL(to_str(evs[2].value->data), "again");
  CAF_CHECK_EQUAL(evs[2].value->created, r->created);
}

CAF_TEST(subscribers get only the keys their pattern matches) {
  start();
  auto users = subscribe("users/*");
  auto one = subscribe("users/1");
  auto top = subscribe("*");
  auto deep = subscribe("*/*/topic");
  for (auto k : {"users/1", "users/2", "users/1/x", "top", "rooms/a/topic", "rooms/a/name"})
    CAF_REQUIRE(set(k, "v"));
  CAF_CHECK_EQUAL(describe(users->snapshot()), (strings{"set users/1 v", "set users/2 v"}));
  CAF_CHECK_EQUAL(describe(one->snapshot()), strings{"set users/1 v"});
  CAF_CHECK_EQUAL(describe(top->snapshot()), strings{"set top v"});
  CAF_CHECK_EQUAL(describe(deep->snapshot()), strings{"set rooms/a/topic v"});
}

CAF_TEST(no broadcast keys yield no events) {
  options opts;
  opts.no_broadcast_keys = {"internal/*", "secret"};
  start(opts);
  auto two = subscribe("*/*");
  auto one = subscribe("*");
  auto internal = subscribe("internal/*");
  CAF_REQUIRE(set("internal/1", "x"));
  CAF_REQUIRE(set("internal/2", "x"));
  CAF_REQUIRE(set("users/1", "x"));
  CAF_REQUIRE(set("secret", "x"));
  CAF_REQUIRE(set("public", "x"));
  CAF_REQUIRE(del("internal/1"));
  CAF_CHECK_EQUAL(must(del("internal/*")), 1u);
  CAF_REQUIRE(del("secret"));
  CAF_CHECK_EQUAL(describe(two->snapshot()), strings{"set users/1 x"});
  CAF_CHECK_EQUAL(describe(one->snapshot()), strings{"set public x"});
  CAF_CHECK_EQUAL(internal->size(), 0u);
  // The writes themselves happened.
  CAF_CHECK_EQUAL(must(stats()).keys, 2u);
}

CAF_TEST(silent deletes yield no events) {
  start();
  auto log = subscribe("users/*");
  for (auto k : {"users/1", "users/2", "users/3", "users/4"})
    CAF_REQUIRE(set(k, "v"));
  CAF_CHECK_EQUAL(must(ask<deleted>(del_silent_atom::value, std::string{"users/1"})).count, 1u);
  CAF_CHECK_EQUAL(must(ask<deleted>(del_silent_atom::value, std::string{"users/*"})).count, 3u);
  CAF_CHECK_EQUAL(must(keys("")), strings{});
  CAF_CHECK_EQUAL(log->size(), 4u);
  for (auto& ev : log->snapshot())
    CAF_CHECK(ev.op == event_op::set);
}

CAF_TEST(glob delete yields one del event per deleted key) {
  start(); // 4 shards
  std::map<std::string, std::string> values;
  for (int i = 1; i <= 8; ++i)
    values["users/" + std::to_string(i)] = "value" + std::to_string(i);
  for (auto& [k, v] : values)
    CAF_REQUIRE(set(k, v));
  CAF_REQUIRE(set("rooms/1", "r"));
  CAF_REQUIRE(set("users/1/deep", "d"));
  auto users = subscribe("users/*");
  auto all = subscribe("*/*");
  auto before = must(stats()).revision;
  auto n = del("users/*");
  CAF_REQUIRE(n);
  CAF_CHECK_EQUAL(*n, 8u);
  CAF_CHECK_EQUAL(must(stats()).revision, before + 8);
  for (auto& log : {users, all}) {
    auto evs = log->snapshot();
    CAF_REQUIRE_EQUAL(evs.size(), 8u);
    std::set<uint64_t> revisions;
    std::set<std::string> keys_seen;
    for (auto& ev : evs) {
      CAF_CHECK(ev.op == event_op::del);
      revisions.insert(ev.revision);
      keys_seen.insert(ev.key);
      CAF_REQUIRE(ev.value);
      CAF_CHECK_EQUAL(ev.value->path, ev.key);
      CAF_CHECK_EQUAL(to_str(ev.value->data), values[ev.key]);
      CAF_CHECK_EQUAL(ev.value->revision, ev.revision);
    }
    CAF_CHECK_EQUAL(keys_seen.size(), 8u);
    CAF_CHECK_EQUAL(revisions.size(), 8u);
    CAF_CHECK_EQUAL(*revisions.begin(), before + 1);
    CAF_CHECK_EQUAL(*revisions.rbegin(), before + 8);
    // One unit, named by its last revision, delivered in one batch.
    for (auto& ev : evs)
      CAF_CHECK_EQUAL(ev.unit, before + 8);
    CAF_CHECK_EQUAL(log->batches(), std::vector<size_t>{8});
  }
  CAF_CHECK_EQUAL(must(keys("")), (strings{"rooms/1", "users/1/deep"}));
}

CAF_TEST(a subscriber sees a glob delete as one batch even when it matches only part of it) {
  start(); // 4 shards
  for (int i = 1; i <= 6; ++i)
    CAF_REQUIRE(set("users/" + std::to_string(i), "v"));
  auto some = subscribe("users/2");
  auto before = must(stats()).revision;
  CAF_REQUIRE_EQUAL(must(del("users/*")), 6u);
  CAF_REQUIRE(set("users/2", "again"));
  auto evs = some->snapshot();
  CAF_REQUIRE_EQUAL(evs.size(), 2u);
  CAF_CHECK(evs[0].op == event_op::del);
  CAF_CHECK_EQUAL(evs[0].unit, before + 6);
  CAF_CHECK_EQUAL(evs[1].revision, before + 7);
  CAF_CHECK_EQUAL(evs[1].unit, evs[1].revision);
  CAF_CHECK_EQUAL(some->batches(), (std::vector<size_t>{1, 1}));
}

CAF_TEST(a single key change is its own unit) {
  start();
  auto log = subscribe("users/*");
  CAF_REQUIRE(set("users/1", "a"));
  CAF_REQUIRE(del("users/1"));
  auto evs = log->snapshot();
  CAF_REQUIRE_EQUAL(evs.size(), 2u);
  for (auto& ev : evs)
    CAF_CHECK_EQUAL(ev.unit, ev.revision);
}

CAF_TEST(clear yields one del event per key) {
  start();
  for (auto k : {"a", "users/1", "users/2", "rooms/a/topic"})
    CAF_REQUIRE(set(k, "v"));
  auto two = subscribe("*/*");
  auto one = subscribe("*");
  CAF_CHECK_EQUAL(must(ask<deleted>(clear_atom::value)).count, 4u);
  auto evs = describe(two->snapshot());
  std::sort(evs.begin(), evs.end());
  CAF_CHECK_EQUAL(evs, (strings{"del users/1 v", "del users/2 v"}));
  CAF_CHECK_EQUAL(describe(one->snapshot()), strings{"del a v"});
}

// -- subscriber death ---------------------------------------------------------------------------

CAF_TEST(a dead subscriber is dropped) {
  start();
  auto dead_log = std::make_shared<event_log>();
  auto doomed = spawn_recorder(sys, dead_log);
  auto alive = subscribe("users/*");
  CAF_REQUIRE(ask<uint64_t>(caf::subscribe_atom::value, std::string{"users/*"}, doomed));
  CAF_REQUIRE(ask<uint64_t>(caf::subscribe_atom::value, std::string{"*"}, doomed));
  CAF_CHECK_EQUAL(must(stats()).subscribers, 3u);
  CAF_REQUIRE(set("users/1", "a"));
  CAF_CHECK_EQUAL(dead_log->size(), 1u);
  // It dies with an event on its way.
  auto w = later<receipt>("w", set_atom::value, std::string{"users/2"}, to_bytes("b"),
                          write_options{});
  self->send_exit(doomed, caf::exit_reason::kill);
  drain();
  CAF_REQUIRE(w->has_value());
  CAF_CHECK(**w);
  CAF_CHECK_EQUAL(must(stats()).subscribers, 1u);
  for (int i = 3; i < 10; ++i)
    CAF_REQUIRE(set("users/" + std::to_string(i), "c"));
  CAF_CHECK_LESS_OR_EQUAL(dead_log->size(), 2u);
  CAF_CHECK_EQUAL(alive->size(), 9u);
  CAF_CHECK_EQUAL(must(ask<deleted>(del_atom::value, std::string{"users/*"})).count, 9u);
  CAF_CHECK_EQUAL(alive->size(), 18u);
}

CAF_TEST_FIXTURE_SCOPE_END()

// -- per-key order with real threads ------------------------------------------------------------

namespace {

/// Many writer actors on one key of a store on a real, multi-threaded actor system.
void concurrent_writers(std::unique_ptr<adapter> persistent, size_t shards) {
  test_config cfg;
  caf::actor_system sys{cfg};
  store_config sc;
  sc.opts.shards = shards;
  if (persistent) {
    sc.persistent = std::move(persistent);
    sc.mode = durability::sync;
  }
  auto store = spawn_store(sys, std::move(sc));
  caf::scoped_actor self{sys};
  bool started = false;
  self->request(store, std::chrono::seconds{5}, start_atom::value)
    .receive([&] { started = true; },
             [&](caf::error& err) { CAF_MESSAGE("start: " << render(err)); });
  CAF_REQUIRE(started);
  auto events = std::make_shared<event_log>();
  auto sub = spawn_recorder(sys, events);
  bool subscribed = false;
  // Lossless: a burst of writers must not make this subscriber lose events (drop mode may).
  subscribe_options lossless;
  lossless.mode = watch_mode::lossless;
  self->request(store, std::chrono::seconds{5}, caf::subscribe_atom::value, std::string{"hot/*"},
                sub, lossless)
    .receive([&](uint64_t) { subscribed = true; }, [&](caf::error&) {});
  CAF_REQUIRE(subscribed);
  constexpr int writers = 16;
  constexpr int per_writer = 50;
  const std::string key = "hot/key";
  auto log = std::make_shared<answer_log>();
  caf::actor done = caf::actor_cast<caf::actor>(self);
  std::vector<caf::actor> spawned;
  for (int w = 0; w < writers; ++w)
    spawned.push_back(sys.spawn([=](caf::event_based_actor* self) {
      sequential_writer(self, store, key, w, per_writer, log, done);
    }));
  for (int w = 0; w < writers; ++w) {
    bool got = false;
    self->receive([&](caf::ok_atom) { got = true; },
                  caf::after(std::chrono::seconds{10}) >> [] {});
    CAF_REQUIRE(got);
  }
  caf::expected<object> final_value{caf::error{}};
  self->request(store, std::chrono::seconds{5}, caf::get_atom::value, key)
    .receive([&](object& x) { final_value = std::move(x); },
             [&](caf::error& err) { final_value = err; });
  CAF_CHECK(events->wait_for(writers * per_writer));
  CAF_CHECK_EQUAL(events->other_messages(), strings{});
  std::vector<answer> answers;
  {
    std::lock_guard<std::mutex> guard{log->mtx};
    CAF_CHECK(log->errors.empty());
    answers = log->answers;
  }
  check_order(key, answers, writers * per_writer, final_value, events->snapshot());
  CAF_CHECK_EQUAL(events->size(), static_cast<size_t>(writers * per_writer));
  self->request(store, std::chrono::seconds{5}, caf::close_atom::value).receive([] {}, [](caf::error&) {});
  self->send_exit(store, caf::exit_reason::user_shutdown);
  self->send_exit(sub, caf::exit_reason::user_shutdown);
  for (auto& x : spawned)
    self->send_exit(x, caf::exit_reason::user_shutdown);
}

} // namespace

CAF_TEST(per key order with concurrent writer actors in memory) {
  concurrent_writers(nullptr, 4);
}

CAF_TEST(per key order with concurrent writer actors through persistence) {
  concurrent_writers(std::make_unique<faulty_adapter>(), 4);
}

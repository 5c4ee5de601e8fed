#define CAF_SUITE store_watch
#include "caf/test/dsl.hpp"

#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "caf/all.hpp"

#include "actors/layered.hpp"
#include "messages/errc.hpp"
#include "tests/unit/value_of.hpp"

using namespace ooo::storage;
using ooo::storage::test::value_of;
using namespace std::chrono_literals;

namespace {

using go_atom = caf::atom_constant<caf::atom("go")>;
using seen_atom = caf::atom_constant<caf::atom("seen")>;

/// What a test subscriber saw.
struct seen {
  std::vector<uint64_t> revisions;
  std::vector<std::string> keys;
  std::vector<lagged> notices;
};

/// A subscriber that holds every batch's acknowledgement until it receives `go` (then
/// acknowledges everything and from then on at once). `stall` that never comes models a stuck consumer.
struct held_subscriber_state {
  seen log;
  std::vector<caf::response_promise> parked;
  bool released = false;
};

caf::behavior held_subscriber(caf::stateful_actor<held_subscriber_state>* self) {
  return {
    [=](const event_batch& batch) -> caf::result<void> {
      auto& st = self->state;
      for (auto& ev : batch.events) {
        st.log.revisions.push_back(ev.revision);
        st.log.keys.push_back(ev.key);
      }
      if (st.released)
        return caf::unit;
      st.parked.push_back(self->make_response_promise());
      return caf::delegated<void>{};
    },
    [=](const lagged& notice) { self->state.log.notices.push_back(notice); },
    [=](go_atom) {
      auto& st = self->state;
      st.released = true;
      for (auto& rp : st.parked)
        rp.deliver(caf::unit);
      st.parked.clear();
    },
    [=](seen_atom) {
      auto& log = self->state.log;
      return caf::make_message(log.revisions, log.keys, log.notices.size(),
                               log.notices.empty() ? lagged{} : log.notices.back());
    },
  };
}

struct snapshot {
  std::vector<uint64_t> revisions;
  std::vector<std::string> keys;
  size_t notices = 0;
  lagged last_notice;
};

snapshot look(caf::actor_system& sys, const caf::actor& subscriber) {
  caf::scoped_actor self{sys};
  snapshot result;
  self->request(subscriber, 5s, seen_atom::value)
    .receive(
      [&](std::vector<uint64_t>& revs, std::vector<std::string>& keys, size_t n, lagged& last) {
        result = snapshot{std::move(revs), std::move(keys), n, last};
      },
      [&](caf::error& err) { CAF_FAIL("subscriber did not answer: " << to_string(err)); });
  return result;
}

/// Polls `cond` for up to five seconds.
template <class F>
bool eventually(F cond) {
  for (int i = 0; i < 500; ++i) {
    if (cond())
      return true;
    std::this_thread::sleep_for(10ms);
  }
  return cond();
}

options small_window(size_t window, size_t history = 100000) {
  options opts;
  opts.shards = 4;
  opts.watch_window = window;
  opts.history_events = history;
  return opts;
}

uint64_t subscribe(layered& store, const caf::actor& subscriber, const std::string& pattern,
                   subscribe_options opts) {
  caf::scoped_actor self{store.system()};
  uint64_t id = 0;
  self->request(store.handle(), 5s, caf::subscribe_atom::value, pattern, subscriber, opts)
    .receive([&](uint64_t x) { id = x; },
             [&](caf::error& err) { CAF_FAIL("subscribe failed: " << render(err)); });
  return id;
}

struct collector {
  std::mutex mtx;
  std::vector<uint64_t> revisions;
  std::vector<std::string> keys;

  std::function<void(const event&)> callback() {
    return [this](const event& ev) {
      std::lock_guard<std::mutex> guard{mtx};
      revisions.push_back(ev.revision);
      keys.push_back(ev.key);
    };
  }

  size_t size() {
    std::lock_guard<std::mutex> guard{mtx};
    return revisions.size();
  }
};

} // namespace

CAF_TEST(resume from 0 replays every matching change then continues live) {
  layered store{layered_config{}, small_window(64)};
  CAF_REQUIRE(store.start());
  for (int i = 1; i <= 5; ++i) {
    CAF_REQUIRE(store.set("users/" + std::to_string(i), "v"));
    CAF_REQUIRE(store.set("other/" + std::to_string(i), "v"));
  }
  CAF_REQUIRE(store.del("users/2"));
  collector got;
  subscribe_options opts;
  opts.resume = true;
  opts.since = 0;
  auto w = store.watch("users/*", got.callback(), opts);
  CAF_REQUIRE(w);
  CAF_REQUIRE(store.set("users/6", "live"));
  CAF_REQUIRE(eventually([&] { return got.size() >= 7; }));
  std::this_thread::sleep_for(50ms);
  // users/1..5 at revisions 1,3,5,7,9, the delete at 11, then users/6 at 12.
  CAF_CHECK_EQUAL(got.revisions, (std::vector<uint64_t>{1, 3, 5, 7, 9, 11, 12}));
  CAF_CHECK_EQUAL(got.keys.back(), "users/6");
  CAF_CHECK_EQUAL(got.keys[5], "users/2");
}

CAF_TEST(resume from the middle replays only what came after) {
  layered store{layered_config{}, small_window(64)};
  CAF_REQUIRE(store.start());
  for (int i = 1; i <= 6; ++i)
    CAF_REQUIRE(store.set("users/" + std::to_string(i), "v"));
  collector got;
  subscribe_options opts;
  opts.resume = true;
  opts.since = 4;
  auto w = store.watch("users/*", got.callback(), opts);
  CAF_REQUIRE(w);
  CAF_REQUIRE(store.set("users/7", "v"));
  CAF_REQUIRE(eventually([&] { return got.size() >= 3; }));
  std::this_thread::sleep_for(50ms);
  CAF_CHECK_EQUAL(got.revisions, (std::vector<uint64_t>{5, 6, 7}));
}

CAF_TEST(a resume from beyond the newest revision waits for it instead of replaying) {
  // A subscriber moving to another node of a replicated group may have seen more than that
  // node has applied yet: it must get what follows its revision, not what it saw already.
  layered store{layered_config{}, small_window(64)};
  CAF_REQUIRE(store.start());
  for (int i = 1; i <= 3; ++i)
    CAF_REQUIRE(store.set("users/" + std::to_string(i), "v"));
  collector got;
  subscribe_options opts;
  opts.resume = true;
  opts.since = 5;
  auto w = store.watch("users/*", got.callback(), opts);
  CAF_REQUIRE(w);
  for (int i = 4; i <= 7; ++i)
    CAF_REQUIRE(store.set("users/" + std::to_string(i), "v"));
  CAF_REQUIRE(eventually([&] { return got.size() >= 2; }));
  std::this_thread::sleep_for(50ms);
  CAF_CHECK_EQUAL(got.revisions, (std::vector<uint64_t>{6, 7}));
}

CAF_TEST(a since older than the history is compacted and names the oldest resume point) {
  layered store{layered_config{}, small_window(64, 3)};
  CAF_REQUIRE(store.start());
  for (int i = 1; i <= 10; ++i)
    CAF_REQUIRE(store.set("users/" + std::to_string(i), "v"));
  subscribe_options opts;
  opts.resume = true;
  opts.since = 2;
  auto w = store.watch("users/*", [](const event&) {}, opts);
  CAF_REQUIRE(!w);
  CAF_CHECK(is(w.error(), errc::compacted));
  CAF_CHECK(render(w.error()).find("resume from is 7") != std::string::npos);
  opts.since = 7;
  collector got;
  auto ok = store.watch("users/*", got.callback(), opts);
  CAF_REQUIRE(ok);
  CAF_REQUIRE(eventually([&] { return got.size() >= 3; }));
  CAF_CHECK_EQUAL(got.revisions, (std::vector<uint64_t>{8, 9, 10}));
}

CAF_TEST(a subscriber that never reads slows no writer and keeps memory bounded) {
  layered store{layered_config{}, small_window(8, 3000)};
  CAF_REQUIRE(store.start());
  auto stalled = store.system().spawn(held_subscriber);
  subscribe(store, stalled, "users/*", subscribe_options{});
  // The healthy subscriber shares the tiny window: lossless, so that a busy machine cannot make
  // it drop (it then catches up from the history instead).
  collector healthy;
  subscribe_options lossless;
  lossless.mode = watch_mode::lossless;
  auto w = store.watch("users/*", healthy.callback(), lossless);
  CAF_REQUIRE(w);
  for (int i = 0; i < 5000; ++i)
    CAF_REQUIRE(store.set("users/" + std::to_string(i % 100), "v"));
  CAF_REQUIRE(eventually([&] { return healthy.size() == 5000; }));
  auto stats = store.stats();
  CAF_REQUIRE(stats);
  CAF_CHECK_EQUAL(stats->dropped_events, 5000u - 8u);
  CAF_CHECK_EQUAL(stats->history, 3000u); // retention bounds the history, not the writes
  CAF_CHECK_EQUAL(look(store.system(), stalled).revisions.size(), 8u);
  caf::anon_send_exit(stalled, caf::exit_reason::user_shutdown);
}

CAF_TEST(drop mode reports exactly what was dropped and the resume point recovers it) {
  auto store_opts = small_window(4);
  std::mutex mtx;
  std::vector<uint64_t> hook_saw;
  store_opts.on_drop = [&](uint64_t, const event& ev) {
    std::lock_guard<std::mutex> guard{mtx};
    hook_saw.push_back(ev.revision);
  };
  layered store{layered_config{}, store_opts};
  CAF_REQUIRE(store.start());
  auto slow = store.system().spawn(held_subscriber);
  subscribe(store, slow, "users/*", subscribe_options{});
  for (int i = 1; i <= 20; ++i)
    CAF_REQUIRE(store.set("users/" + std::to_string(i), "v"));
  CAF_REQUIRE(eventually([&] { return look(store.system(), slow).revisions.size() == 4; }));
  caf::anon_send(slow, go_atom::value);
  CAF_REQUIRE(eventually([&] { return look(store.system(), slow).notices == 1; }));
  auto first = look(store.system(), slow);
  CAF_CHECK_EQUAL(first.revisions, (std::vector<uint64_t>{1, 2, 3, 4}));
  CAF_CHECK_EQUAL(first.last_notice.dropped, 16u);
  CAF_CHECK_EQUAL(first.last_notice.resume_from, 4u);
  CAF_CHECK_EQUAL(value_of(store.stats()).dropped_events, 16u);
  {
    std::lock_guard<std::mutex> guard{mtx};
    CAF_CHECK_EQUAL(hook_saw.size(), 16u);
    CAF_CHECK_EQUAL(hook_saw.front(), 5u);
    CAF_CHECK_EQUAL(hook_saw.back(), 20u);
  }
  // Resuming from the notice recovers exactly the dropped events.
  collector rest;
  subscribe_options opts;
  opts.resume = true;
  opts.since = first.last_notice.resume_from;
  auto w = store.watch("users/*", rest.callback(), opts);
  CAF_REQUIRE(w);
  CAF_REQUIRE(eventually([&] { return rest.size() == 16; }));
  std::set<uint64_t> all(first.revisions.begin(), first.revisions.end());
  all.insert(rest.revisions.begin(), rest.revisions.end());
  CAF_CHECK_EQUAL(all.size(), 20u);
  CAF_CHECK_EQUAL(*all.begin(), 1u);
  CAF_CHECK_EQUAL(*all.rbegin(), 20u);
  caf::anon_send_exit(slow, caf::exit_reason::user_shutdown);
}

CAF_TEST(lossless mode delivers every event to a slow subscriber in order) {
  layered store{layered_config{}, small_window(4)};
  CAF_REQUIRE(store.start());
  auto slow = store.system().spawn(held_subscriber);
  subscribe_options opts;
  opts.mode = watch_mode::lossless;
  subscribe(store, slow, "users/*", opts);
  for (int i = 1; i <= 50; ++i)
    CAF_REQUIRE(store.set("users/" + std::to_string(i % 7), "v"));
  CAF_REQUIRE(eventually([&] { return look(store.system(), slow).revisions.size() == 4; }));
  caf::anon_send(slow, go_atom::value);
  CAF_REQUIRE(eventually([&] { return look(store.system(), slow).revisions.size() == 50; }));
  auto got = look(store.system(), slow);
  std::vector<uint64_t> expected;
  for (uint64_t i = 1; i <= 50; ++i)
    expected.push_back(i);
  CAF_CHECK_EQUAL(got.revisions, expected);
  CAF_CHECK_EQUAL(got.notices, 0u);
  CAF_CHECK_EQUAL(value_of(store.stats()).dropped_events, 0u);
  caf::anon_send_exit(slow, caf::exit_reason::user_shutdown);
}

CAF_TEST(a lossless subscriber that falls out of the history is ended with a resume point) {
  layered store{layered_config{}, small_window(2, 5)};
  CAF_REQUIRE(store.start());
  auto slow = store.system().spawn(held_subscriber);
  subscribe_options opts;
  opts.mode = watch_mode::lossless;
  subscribe(store, slow, "users/*", opts);
  for (int i = 1; i <= 20; ++i)
    CAF_REQUIRE(store.set("users/" + std::to_string(i), "v"));
  CAF_REQUIRE(eventually([&] { return look(store.system(), slow).revisions.size() == 2; }));
  caf::anon_send(slow, go_atom::value);
  CAF_REQUIRE(eventually([&] { return look(store.system(), slow).notices == 1; }));
  auto got = look(store.system(), slow);
  CAF_CHECK(got.last_notice.ended);
  CAF_CHECK_EQUAL(got.last_notice.resume_from, 2u);
  CAF_CHECK(eventually([&] { return store.stats()->subscribers == 0; }));
  caf::anon_send_exit(slow, caf::exit_reason::user_shutdown);
}

CAF_TEST(compare and set loses cleanly on a conflict) {
  layered store{layered_config{}};
  CAF_REQUIRE(store.start());
  write_options must_not_exist;
  must_not_exist.expected_revision = 0;
  auto created = store.write("k", bytes{'a'}, must_not_exist);
  CAF_REQUIRE(created);
  auto again = store.write("k", bytes{'b'}, must_not_exist);
  CAF_REQUIRE(!again);
  CAF_CHECK(is(again.error(), errc::conflict));
  CAF_CHECK_EQUAL(render(again.error()), "conflict: k is at revision 1");
  write_options stale;
  stale.expected_revision = 7;
  CAF_CHECK(is(store.write("k", bytes{'c'}, stale).error(), errc::conflict));
  write_options current;
  current.expected_revision = 1;
  auto ok = store.write("k", bytes{'d'}, current);
  CAF_REQUIRE(ok);
  CAF_CHECK_EQUAL(ok->revision, 2u);
  CAF_CHECK_EQUAL(value_of(store.get("k")).data, bytes{'d'});
}

CAF_TEST(of concurrent compare and set writers exactly one wins each revision) {
  layered store{layered_config{}};
  CAF_REQUIRE(store.start());
  CAF_REQUIRE(store.set("counter", "0"));
  std::mutex mtx;
  std::map<uint64_t, int> winners; // expected revision -> number of winners
  std::atomic<int> conflicts{0};
  std::vector<std::thread> writers;
  for (int t = 0; t < 8; ++t)
    writers.emplace_back([&] {
      for (int i = 0; i < 50; ++i) {
        auto current = store.get("counter");
        if (!current)
          continue;
        auto n = std::stoi(std::string(current->data.begin(), current->data.end()));
        write_options cas;
        cas.expected_revision = static_cast<int64_t>(current->revision);
        auto next = std::to_string(n + 1);
        auto result = store.write("counter", bytes(next.begin(), next.end()), cas);
        std::lock_guard<std::mutex> guard{mtx};
        if (result)
          ++winners[current->revision];
        else if (is(result.error(), errc::conflict))
          ++conflicts;
      }
    });
  for (auto& w : writers)
    w.join();
  auto final = store.get("counter");
  CAF_REQUIRE(final);
  auto value = std::stoi(std::string(final->data.begin(), final->data.end()));
  // Every increment that won was applied exactly once: value == number of wins.
  CAF_CHECK_EQUAL(static_cast<size_t>(value), winners.size());
  for (auto& [revision, count] : winners)
    CAF_CHECK_EQUAL(count, 1);
  CAF_CHECK_EQUAL(final->revision, 1u + winners.size());
  CAF_CHECK_EQUAL(static_cast<int>(winners.size()) + conflicts.load(), 400);
}

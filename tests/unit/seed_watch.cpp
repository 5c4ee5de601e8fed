// The seed's watch tests (watch callbacks, lossless and drop modes, the sharded event channel)
// ported to the facade's `watch`. Each test names the seed case it ports.
//
// The seed delivers events through one buffered Go channel per event shard; we deliver them
// through the event log to each subscriber, with a window of unacknowledged events per
// subscriber. The channel's own tests therefore map to what a watcher sees.
//
// Seed cases that do not apply here:
//
// | seed case                               | why not                                          |
// |-----------------------------------------|--------------------------------------------------|
// | TestNewShardedChan (0 or less -> 1)     | shards are actors; `shards = 0` means one per core |
// | TestShardedChan_Shard_OutOfBounds       | no channel accessor exists                       |
// | TestShardedChan_Close                   | no channels; a watch ends with its handle        |
// | TestShardedChanSetOnDropNilClears       | `on_drop` is an option fixed at construction     |
// | send with a timeout into a full channel | no send timeouts: a full window drops or feeds   |
// |                                         | from history (ported: drop and lossless tests)   |
// | TestWatchWithCallbackNilContext         | Go contexts                                      |
// | BenchmarkShardedChan_*                  | benchmarks; `bench/` measures                    |
//
// Where the seed and we differ on purpose, the test asserts our behaviour and says why.

#define CAF_SUITE seed_watch
#include "caf/test/dsl.hpp"

#include <algorithm>
#include <atomic>
#include <future>
#include <limits>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "actors/layered.hpp"
#include "messages/errc.hpp"
#include "messages/key.hpp"
#include "tests/unit/seed_support.hpp"

using namespace ooo::storage;
using namespace ooo::storage::seed;
using namespace std::chrono_literals;

namespace {

/// The events a watch callback received, in arrival order. Thread-safe.
class received {
public:
  std::function<void(const event&)> callback() {
    return [this](const event& ev) {
      std::lock_guard<std::mutex> guard{mtx_};
      events_.push_back(ev);
    };
  }

  std::vector<event> events() const {
    std::lock_guard<std::mutex> guard{mtx_};
    return events_;
  }

  size_t size() const {
    std::lock_guard<std::mutex> guard{mtx_};
    return events_.size();
  }

  /// `op key` of each event.
  strings described() const {
    strings result;
    for (auto& ev : events())
      result.push_back(std::string{to_string(ev.op)} + " " + ev.key);
    return result;
  }

private:
  mutable std::mutex mtx_;
  std::vector<event> events_;
};

options small_window(size_t window, options opts = {}) {
  opts.shards = 4;
  opts.watch_window = window;
  return opts;
}

subscribe_options lossless() {
  subscribe_options opts;
  opts.mode = watch_mode::lossless;
  return opts;
}

/// The store's dropped-event counter; a value no test expects if `stats` fails.
uint64_t dropped_events(layered& store) {
  auto st = store.stats();
  return st ? st->dropped_events : std::numeric_limits<uint64_t>::max();
}

/// The store's subscription count; a value no test expects if `stats` fails.
uint64_t subscribers(layered& store) {
  auto st = store.stats();
  return st ? st->subscribers : std::numeric_limits<uint64_t>::max();
}

bool revisions_increase(const std::vector<event>& xs) {
  for (size_t i = 1; i < xs.size(); ++i)
    if (xs[i - 1].revision >= xs[i].revision)
      return false;
  return true;
}

} // namespace

// -- delivery -------------------------------------------------------------------------------------

// Seed: TestWatchWithCallback.
CAF_TEST(a watch callback sees every set and del) {
  auto store = memory_store();
  received got;
  auto watch = store->watch("test/*", got.callback());
  CAF_REQUIRE(watch);
  CAF_REQUIRE(store->set("test/1", document));
  CAF_REQUIRE(store->set("test/2", document_update));
  CAF_REQUIRE(store->del("test/1"));
  CAF_REQUIRE(eventually([&] { return got.size() >= 3; }));
  std::this_thread::sleep_for(20ms);
  auto seen = got.described();
  CAF_CHECK_EQUAL(seen.size(), 3u);
  CAF_CHECK_EQUAL(std::count(seen.begin(), seen.end(), "set test/2"), 1);
  // The seed promises no order across its channels; events of one key keep theirs.
  auto first = std::find(seen.begin(), seen.end(), "set test/1");
  auto gone = std::find(seen.begin(), seen.end(), "del test/1");
  CAF_CHECK(first != seen.end() && gone != seen.end() && first < gone);
  auto events = got.events();
  for (auto& ev : events)
    if (ev.op == event_op::del) {
      // Our del events carry the value that was deleted, as the seed's do.
      CAF_REQUIRE(ev.value);
      CAF_CHECK_EQUAL(text(*ev.value), document);
    }
}

// Seed: TestShardedChan_ConcurrentSend, TestShardedChan_Send.
CAF_TEST(events of many concurrent writers all reach a watcher) {
  auto store = memory_store();
  received got;
  auto watch = store->watch("key/*", got.callback(), lossless());
  CAF_REQUIRE(watch);
  std::atomic<int> failures{0};
  std::vector<std::thread> writers;
  for (int t = 0; t < 10; ++t)
    writers.emplace_back([&, t] {
      for (int i = 0; i < 10; ++i)
        if (!store->set("key/" + std::to_string(t * 10 + i), "v"))
          ++failures;
    });
  for (auto& w : writers)
    w.join();
  CAF_CHECK_EQUAL(failures.load(), 0);
  CAF_REQUIRE(eventually([&] { return got.size() >= 100; }));
  std::set<std::string> keys;
  for (auto& ev : got.events())
    keys.insert(ev.key);
  CAF_CHECK_EQUAL(keys.size(), 100u);
  CAF_CHECK(revisions_increase(got.events()));
}

// Seed: TestWatchStorageNoop, WatchStorageNoopTest.
CAF_TEST(a watcher that ignores events never holds up writers) {
  auto store = memory_store();
  auto watch = store->watch("test/*", [](const event&) {});
  CAF_REQUIRE(watch);
  CAF_REQUIRE(store->set("test/1", document));
  CAF_REQUIRE(store->set("test/2", document_update));
  CAF_REQUIRE(store->del("test/1"));
  CAF_CHECK_EQUAL(text(store->get("test/2")), document_update);
  CAF_CHECK_EQUAL(shown(store->clear()), "1");
}

// Seed: TestLosslessWatchDeliversAllEvents.
CAF_TEST(a lossless watch delivers every event) {
  auto store = memory_store(with_shards(1));
  received got;
  auto watch = store->watch("test/*", got.callback(), lossless());
  CAF_REQUIRE(watch);
  constexpr size_t n = 300;
  for (size_t i = 0; i < n; ++i)
    CAF_REQUIRE(store->set("test/" + std::to_string(i), document));
  CAF_REQUIRE(eventually([&] { return got.size() >= n; }));
  auto events = got.events();
  CAF_CHECK_EQUAL(events.size(), n);
  CAF_CHECK(revisions_increase(events));
  CAF_CHECK_EQUAL(events.back().revision, n);
  CAF_CHECK_EQUAL(dropped_events(*store), 0u);
}

// Seed: TestShardedChanBlockingSendBlocksInsteadOfDropping.
CAF_TEST(a stalled lossless watcher holds up no writer and loses nothing) {
  // The seed's lossless mode makes a writer wait until the watcher takes the event, so a stuck
  // watcher stalls every write (its own documentation warns of it). Ours feeds a watcher that
  // is behind from the retained history: writers never wait for it, and it still gets every
  // event, in order, once it moves again.
  auto store = memory_store(small_window(8));
  store->timeout(std::chrono::seconds{20});
  gate stalled;
  std::atomic<bool> first{true};
  received got;
  auto record = got.callback();
  auto watch = store->watch(
    "test/*",
    [&](const event& ev) {
      record(ev);
      if (first.exchange(false))
        stalled.wait();
    },
    lossless());
  CAF_REQUIRE(watch);
  constexpr size_t n = 300;
  for (size_t i = 0; i < n; ++i)
    CAF_REQUIRE(store->set("test/" + std::to_string(i % 50), "v" + std::to_string(i)));
  CAF_CHECK(stalled.wait_for_arrival());
  CAF_CHECK_EQUAL(got.size(), 1u);
  stalled.open();
  CAF_REQUIRE(eventually([&] { return got.size() >= n; }));
  auto events = got.events();
  CAF_CHECK_EQUAL(events.size(), n);
  CAF_CHECK(revisions_increase(events));
  CAF_CHECK_EQUAL(text(*events.back().value), "v" + std::to_string(n - 1));
  CAF_CHECK_EQUAL(dropped_events(*store), 0u);
}

// Seed: TestShardedChanDropModeDropsWhenFull, TestShardedChanDropIsObservable.
CAF_TEST(a drop mode watcher a window behind loses events and reports each) {
  // The seed's drop mode drops an event after waiting 5 s for a full channel, counts it and
  // calls `OnDrop`. Ours drops at once what lies beyond the watcher's window, counts it in
  // `stats`, calls `on_drop` for each and tells the watcher how many it lost and where to
  // resume: the writer never waits.
  call_log dropped;
  auto opts = small_window(4);
  opts.on_drop = [&](uint64_t, const event& ev) { dropped.add(ev.key); };
  auto store = memory_store(opts);
  gate stalled;
  std::atomic<bool> first{true};
  received got;
  auto record = got.callback();
  std::mutex mtx;
  std::vector<lagged> notices;
  auto watch = store->watch(
    "test/*",
    [&](const event& ev) {
      record(ev);
      if (first.exchange(false))
        stalled.wait();
    },
    subscribe_options{},
    [&](const lagged& notice) {
      std::lock_guard<std::mutex> guard{mtx};
      notices.push_back(notice);
    });
  CAF_REQUIRE(watch);
  for (int i = 1; i <= 20; ++i)
    CAF_REQUIRE(store->set("test/" + std::to_string(i), "v"));
  CAF_REQUIRE(eventually([&] { return dropped.size() >= 16; }));
  strings expected_drops;
  for (int i = 5; i <= 20; ++i)
    expected_drops.push_back("test/" + std::to_string(i));
  CAF_CHECK_EQUAL(dropped.calls(), expected_drops);
  CAF_CHECK_EQUAL(dropped_events(*store), 16u);
  stalled.open();
  CAF_REQUIRE(eventually([&] {
    std::lock_guard<std::mutex> guard{mtx};
    return !notices.empty();
  }));
  CAF_CHECK_EQUAL(got.size(), 4u);
  std::lock_guard<std::mutex> guard{mtx};
  CAF_CHECK_EQUAL(notices.size(), 1u);
  CAF_CHECK_EQUAL(notices.front().dropped, 16u);
  CAF_CHECK_EQUAL(notices.front().resume_from, 4u);
}

// Seed: TestWatchWithCallbackContextCancelStopsGoroutines.
CAF_TEST(stopping a watch ends its subscription) {
  auto store = memory_store();
  received got;
  auto watch = store->watch("test/*", got.callback());
  CAF_REQUIRE(watch);
  CAF_CHECK_EQUAL(subscribers(*store), 1u);
  CAF_REQUIRE(store->set("test/1", "v"));
  CAF_REQUIRE(eventually([&] { return got.size() == 1; }));
  watch->stop();
  CAF_CHECK(eventually([&] { return subscribers(*store) == 0; }));
  CAF_REQUIRE(store->set("test/2", "v"));
  std::this_thread::sleep_for(50ms);
  CAF_CHECK_EQUAL(got.size(), 1u);
}

// Seed: TestSendTimeoutPreventsWatchSelfDeadlock.
CAF_TEST(a watcher may write to the store from its callback) {
  // The seed guards against a watcher that writes back (e.g. a version counter) blocking on
  // its own full channel. Here a watcher writes one key per event it sees, through a tiny
  // window; every write and every event must get through.
  auto store = memory_store(small_window(8));
  store->timeout(std::chrono::seconds{20});
  std::atomic<int> failed_writes{0};
  received got;
  auto record = got.callback();
  auto watch = store->watch(
    "*/*",
    [&](const event& ev) {
      record(ev);
      if (ev.op == event_op::set && ev.key.rfind("a/", 0) == 0)
        if (!store->set("b/" + std::string{last_segment(ev.key)}, "echo"))
          ++failed_writes;
    },
    lossless());
  CAF_REQUIRE(watch);
  constexpr size_t n = 200;
  for (size_t i = 0; i < n; ++i)
    CAF_REQUIRE(store->set("a/" + std::to_string(i), "v"));
  CAF_REQUIRE(eventually([&] { return got.size() >= 2 * n; }, 30s));
  CAF_CHECK_EQUAL(failed_writes.load(), 0);
  CAF_CHECK_EQUAL(paths(store->get_n("b/*", 0, 0)).size(), n);
  watch->stop();
}

// -- what glob deletes and clear announce ---------------------------------------------------------

// Seed: Layered.delGlob's event.
CAF_TEST(a glob delete sends one del event per deleted key) {
  // The seed sends one event under the pattern, without a value. We send one per deleted key,
  // with its value, so that a watcher of a single key learns that it is gone and every event
  // names a key that existed.
  auto store = memory_store();
  received got;
  auto watch = store->watch("things/*", got.callback());
  CAF_REQUIRE(watch);
  CAF_REQUIRE(store->set("things/a", "1"));
  CAF_REQUIRE(store->set("things/b", "2"));
  CAF_CHECK_EQUAL(shown(store->del("things/*")), "2");
  CAF_REQUIRE(eventually([&] { return got.size() >= 4; }));
  std::this_thread::sleep_for(20ms);
  auto seen = got.described();
  CAF_REQUIRE_EQUAL(seen.size(), 4u);
  std::multiset<std::string> deletes(seen.begin() + 2, seen.end());
  CAF_CHECK_EQUAL(deletes, (std::multiset<std::string>{"del things/a", "del things/b"}));
  for (auto& ev : got.events())
    CAF_CHECK(static_cast<bool>(ev.value));
}

// Seed: Layered.Clear (no event).
CAF_TEST(clear sends a del event for every key) {
  // The seed's Clear announces nothing, so watchers keep showing data that is gone; ours is a
  // glob delete of everything and announces each key.
  auto store = memory_store();
  received got;
  auto watch = store->watch("test/*", got.callback());
  CAF_REQUIRE(watch);
  CAF_REQUIRE(store->set("test/1", "1"));
  CAF_REQUIRE(store->set("test/2", "2"));
  CAF_CHECK_EQUAL(shown(store->clear()), "2");
  CAF_REQUIRE(eventually([&] { return got.size() >= 4; }));
  std::this_thread::sleep_for(20ms);
  auto seen = got.described();
  CAF_REQUIRE_EQUAL(seen.size(), 4u);
  std::multiset<std::string> deletes(seen.begin() + 2, seen.end());
  CAF_CHECK_EQUAL(deletes, (std::multiset<std::string>{"del test/1", "del test/2"}));
}

// -- routing --------------------------------------------------------------------------------------

// Seed: TestShardedChan_KeyConsistency, _KeyDistribution, _SingleShard.
CAF_TEST(a key always belongs to the same shard and keys spread over the shards) {
  // The seed routes events by FNV-1a of the key, as we route every operation.
  const std::string key = "consistent/key/path";
  CAF_CHECK_EQUAL(shard_of(key, 8), shard_of(key, 8));
  std::set<size_t> hit;
  for (auto* k : {"users/1", "users/2", "users/3", "users/4", "items/a", "items/b", "items/c",
                  "items/d", "data/x", "data/y", "data/z", "data/w", "foo", "bar", "baz", "qux"}) {
    auto shard = shard_of(k, 8);
    CAF_CHECK_LESS(shard, 8u);
    hit.insert(shard);
    CAF_CHECK_EQUAL(shard_of(k, 1), 0u);
  }
  CAF_CHECK_GREATER(hit.size(), 1u);
}

#pragma once

// Helpers shared by the store suites: a deterministic fixture around one store actor, an event
// recorder, and checks for `caf::expected` results. Include after `caf/test/dsl.hpp` (and after
// `#define FAIL(msg) CAF_FAIL(msg)`: CAF 0.17.6's dsl.hpp uses an undefined `FAIL` in its `request` helper).

#include <algorithm>
#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "caf/all.hpp"

#include "actors/options.hpp"
#include "actors/store.hpp"
#include "messages/errc.hpp"
#include "messages/register_types.hpp"
#include "messages/store_actor.hpp"
#include "tests/support/memory_disk.hpp"

namespace ooo::storage::test {

inline bytes to_bytes(std::string_view x) {
  return bytes(x.begin(), x.end());
}

inline std::string to_str(const bytes& x) {
  return std::string(x.begin(), x.end());
}

/// True if `x` failed with `code`; says what it got instead otherwise.
template <class T>
bool failed_with(const caf::expected<T>& x, errc code) {
  if (x) {
    CAF_MESSAGE("expected " << to_string(code) << ", got a value");
    return false;
  }
  if (!is(x.error(), code)) {
    CAF_MESSAGE("expected " << to_string(code) << ", got " << render(x.error()));
    return false;
  }
  return true;
}

/// The events one subscriber received, in arrival order. Thread-safe.
struct event_log {
  mutable std::mutex mtx;
  std::vector<event> events;
  /// Anything else the subscriber received, rendered.
  std::vector<std::string> others;

  /// How many events each batch held, in arrival order.
  std::vector<size_t> batch_sizes;

  void add(const event& ev) {
    std::lock_guard<std::mutex> guard{mtx};
    events.push_back(ev);
  }

  void add(const event_batch& batch) {
    std::lock_guard<std::mutex> guard{mtx};
    events.insert(events.end(), batch.events.begin(), batch.events.end());
    batch_sizes.push_back(batch.events.size());
  }

  std::vector<size_t> batches() const {
    std::lock_guard<std::mutex> guard{mtx};
    return batch_sizes;
  }

  std::vector<event> snapshot() const {
    std::lock_guard<std::mutex> guard{mtx};
    return events;
  }

  void add_other(std::string x) {
    std::lock_guard<std::mutex> guard{mtx};
    others.push_back(std::move(x));
  }

  std::vector<std::string> other_messages() const {
    std::lock_guard<std::mutex> guard{mtx};
    return others;
  }

  size_t size() const {
    std::lock_guard<std::mutex> guard{mtx};
    return events.size();
  }

  /// Waits (real time) until at least `n` events arrived; false after `timeout`.
  bool wait_for(size_t n, std::chrono::milliseconds timeout = std::chrono::seconds{5}) const {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (size() < n) {
      if (std::chrono::steady_clock::now() > deadline)
        return false;
      std::this_thread::sleep_for(std::chrono::milliseconds{1});
    }
    return true;
  }
};

/// A subscriber that appends every event it receives to `log` (and anything else to
/// `log->others`).
inline caf::actor spawn_recorder(caf::actor_system& sys, std::shared_ptr<event_log> log) {
  return sys.spawn([log](caf::event_based_actor* self) -> caf::behavior {
    self->set_default_handler(
      [log](caf::scheduled_actor*, caf::message_view& x) -> caf::result<caf::message> {
        log->add_other(to_string(x.copy_content_to_message()));
        return caf::message{};
      });
    return {[log](const event_batch& batch) { log->add(batch); }};
  });
}

/// `op key data` of each event, for compact comparisons.
inline std::vector<std::string> describe(const std::vector<event>& xs) {
  std::vector<std::string> result;
  for (auto& ev : xs) {
    std::string line = to_string(ev.op);
    line += ' ';
    line += ev.key;
    if (ev.value)
      line += " " + to_str(ev.value->data);
    result.push_back(std::move(line));
  }
  return result;
}

struct test_config : caf::actor_system_config {
  test_config() {
    register_types(*this);
  }
};

/// A deterministic fixture with one store. Uses `drain()` (messages only) instead of `run()`,
/// which would also fire pending lock leases.
struct store_fixture : ::test_coordinator_fixture<test_config> {
  store_actor store;
  /// Every actor a test spawned; all of them get an exit at the end.
  std::vector<caf::actor> spawned;

  ~store_fixture() override {
    for (auto& x : spawned)
      caf::anon_send_exit(x, caf::exit_reason::user_shutdown);
    if (store)
      caf::anon_send_exit(store, caf::exit_reason::user_shutdown);
    drain();
  }

  /// Runs every pending message, never a timeout.
  size_t drain() {
    size_t n = 0;
    while (sched.try_run_once())
      ++n;
    return n;
  }

  /// Spawns the store (not started).
  void spawn(options opts = {}) {
    store_config cfg;
    cfg.opts = std::move(opts);
    store = spawn_store(sys, std::move(cfg));
    drain();
  }

  /// Spawns (not started) a store that writes through persistence to a disk in memory, with
  /// the persistence actor on this fixture's deterministic scheduler: writes are in flight until
  /// the scheduler runs it.
  void spawn_persistent(options opts = {},
                        std::shared_ptr<memory_disk> disk = std::make_shared<memory_disk>()) {
    store_config cfg;
    cfg.opts = std::move(opts);
    if (cfg.opts.shards == 0)
      cfg.opts.shards = 4;
    cfg.persistent = std::make_unique<memory_disk_adapter>(std::move(disk));
    cfg.mode = durability::sync;
    cfg.persistence_thread = false;
    store = spawn_store(sys, std::move(cfg));
    drain();
  }

  /// Spawns and starts a memory store with `shards` shards.
  void start(options opts = {}) {
    if (opts.shards == 0)
      opts.shards = 4;
    spawn(std::move(opts));
    auto res = ask<void>(start_atom::value);
    CAF_REQUIRE(res);
  }

  /// The outcome of a request sent by a client actor of its own, empty until it arrives.
  template <class T>
  using later_t = std::shared_ptr<std::optional<caf::expected<T>>>;

  /// Names of `later` requests in the order their answers arrived.
  std::shared_ptr<std::vector<std::string>> answered = std::make_shared<std::vector<std::string>>();

  /// Sends `xs` to the store from a new client actor named `name` (which stays alive until
  /// the end of the test) and returns where its answer will be; nothing runs yet.
  template <class T, class... Ts>
  later_t<T> later(std::string name, Ts... xs) {
    auto out = std::make_shared<std::optional<caf::expected<T>>>();
    auto order = answered;
    auto hdl = store;
    auto client = sys.spawn([=](caf::event_based_actor* client) -> caf::behavior {
      auto req = client->request(hdl, caf::infinite, xs...);
      auto on_error = [=](caf::error& err) {
        *out = caf::expected<T>{std::move(err)};
        order->push_back(name);
      };
      if constexpr (std::is_void<T>::value)
        req.then([=] {
          *out = caf::expected<void>{};
          order->push_back(name);
        }, on_error);
      else
        req.then([=](T& x) {
          *out = caf::expected<T>{std::move(x)};
          order->push_back(name);
        }, on_error);
      return {[](int) {
        // nop: keeps the client alive (e.g. as a lock holder)
      }};
    });
    spawned.push_back(client);
    return out;
  }

  /// Sends a request from `self`, drains, returns the answer (`request_timeout` if none came;
  /// it never blocks).
  template <class T, class... Ts>
  caf::expected<T> ask(Ts&&... xs) {
    CAF_REQUIRE(!self->has_next_message());
    auto hdl = self->request(store, caf::infinite, std::forward<Ts>(xs)...);
    drain();
    if (!self->has_next_message())
      return caf::make_error(caf::sec::request_timeout);
    caf::expected<T> result{caf::error{}};
    auto on_error = [&](caf::error& err) { result = std::move(err); };
    if constexpr (std::is_void<T>::value)
      hdl.receive([&] { result = caf::expected<void>{}; }, on_error);
    else
      hdl.receive([&](T& x) { result = std::move(x); }, on_error);
    return result;
  }

  // -- shorthands ------------------------------------------------------------------------------

  caf::expected<receipt> set(const std::string& key, std::string_view data,
                             write_options opts = {}) {
    return ask<receipt>(set_atom::value, key, to_bytes(data), opts);
  }

  caf::expected<object> get(const std::string& key) {
    return ask<object>(caf::get_atom::value, key);
  }

  caf::expected<std::vector<object>> list(const std::string& pattern, list_options opts = {}) {
    return ask<std::vector<object>>(list_atom::value, pattern, opts);
  }

  caf::expected<std::vector<std::string>> keys(const std::string& pattern,
                                               list_options opts = {}) {
    return ask<std::vector<std::string>>(keys_atom::value, pattern, opts);
  }

  /// How many keys `del` deleted.
  caf::expected<uint64_t> del(const std::string& key) {
    auto result = ask<deleted>(del_atom::value, key);
    if (!result)
      return result.error();
    return result->count;
  }

  caf::expected<store_stats> stats() {
    return ask<store_stats>(stats_atom::value);
  }

  /// Spawns a recorder and subscribes it to `pattern`.
  std::shared_ptr<event_log> subscribe(const std::string& pattern) {
    auto log = std::make_shared<event_log>();
    auto sub = spawn_recorder(sys, log);
    spawned.push_back(sub);
    auto id = ask<uint64_t>(caf::subscribe_atom::value, pattern, sub);
    CAF_REQUIRE(id);
    return log;
  }

  /// The value of `x`; fails the test naming the error otherwise.
  template <class T>
  static T must(caf::expected<T> x) {
    if (!x)
      CAF_FAIL("unexpected error: " << render(x.error()));
    return std::move(*x);
  }

  /// Paths of `xs`, in order.
  static std::vector<std::string> paths(const std::vector<object>& xs) {
    std::vector<std::string> result;
    for (auto& x : xs)
      result.push_back(x.path);
    return result;
  }

};

} // namespace ooo::storage::test

#include <algorithm>
#include <atomic>
#include <random>
#include <sstream>

#include "caf/actor_system.hpp"
#include "caf/actor_system_config.hpp"
#include "caf/event_based_actor.hpp"
#include "caf/scheduler/test_coordinator.hpp"
#include "caf/scoped_actor.hpp"

#include "actors/store.hpp"
#include "messages/key.hpp"
#include "messages/register_types.hpp"
#include "tests/model/audit.hpp"
#include "tests/model/recording_adapter.hpp"
#include "tests/model/run.hpp"
#include "tests/support/faulty_adapter.hpp"
#include "tests/support/memory_disk.hpp"

namespace ooo::storage::model {

run_options run_options::derive(uint64_t seed, bool allow_faults, bool allow_hooks,
                                bool allow_timeouts) {
  std::mt19937_64 rng{seed};
  run_options o;
  o.seed = seed;
  o.shards = 1 + rng() % 4;
  size_t windows[] = {1, 2, 4, 16, 64};
  o.watch_window = windows[rng() % 5];
  size_t histories[] = {3, 40, 1000};
  o.history_events = histories[rng() % 3];
  size_t waiters[] = {2, 3, 100};
  o.max_lock_waiters = waiters[rng() % 3];
  o.load.pipeliners = 1 + static_cast<int>(rng() % 4);
  o.load.window = 1 + static_cast<int>(rng() % 16);
  o.load.ops_per_pipeliner = 50 + static_cast<int>(rng() % 250);
  o.load.lockers = static_cast<int>(rng() % 3);
  o.load.cycles_per_locker = 10 + static_cast<int>(rng() % 40);
  o.load.watchers = static_cast<int>(rng() % 4);
  o.faults = allow_faults && rng() % 3 == 0;
  o.load.hooks = allow_hooks && rng() % 3 == 0;
  o.timeouts = allow_timeouts && rng() % 3 == 0;
  o.load.lease_ms = o.timeouts ? 5 : 0;
  return o;
}

std::string run_options::describe() const {
  std::ostringstream out;
  out << "seed " << seed << ": " << shards << " shard(s), " << load.pipeliners
      << " pipeliner(s) x " << load.ops_per_pipeliner << " (window " << load.window << "), "
      << load.lockers << " locker(s) x " << load.cycles_per_locker << ", " << load.watchers
      << " watcher(s) (window " << watch_window << ", history " << history_events
      << "), lock waiters " << max_lock_waiters << (faults ? ", faults" : "")
      << (load.hooks ? ", throwing hooks" : "") << (timeouts ? ", lease timeouts" : "");
  return out.str();
}

options store_options(const run_options& ro) {
  options opts;
  opts.shards = ro.shards;
  opts.watch_window = ro.watch_window;
  opts.history_events = ro.history_events;
  opts.max_lock_waiters = ro.max_lock_waiters;
  if (ro.load.hooks) {
    auto boom = [](const std::string& key) { return matches("boom/*", key) || key == "boom/*"; };
    opts.before_read = [boom](const std::string& key) {
      if (boom(key))
        throw std::runtime_error("before_read refuses " + key);
    };
    opts.after_write_op = [boom](const std::string& key, event_op) {
      if (boom(key))
        throw std::runtime_error("after_write_op refuses " + key);
    };
    opts.after_write = [](const std::string& key) {
      if (key == "boom/1")
        throw 42; // not even a std::exception
    };
    opts.on_drop = [](uint64_t, const event&) { throw std::runtime_error("on_drop refuses"); };
  }
  return opts;
}

namespace {

struct sim_config : caf::actor_system_config {
  sim_config() {
    set("scheduler.policy", caf::atom("testing"));
    set("logger.verbosity", caf::atom("quiet"));
    register_types(*this);
  }
};

/// Counts the clients that finished.
caf::behavior finish_counter(caf::event_based_actor*, std::shared_ptr<int> done) {
  return {[=](done_atom) { ++*done; }};
}

} // namespace

run_result run_simulation(const run_options& ro) {
  run_result result;
  auto log = std::make_shared<history>();
  auto disk = std::make_shared<test::memory_disk>();
  auto faults = std::make_shared<faulty_adapter::controls>();
  std::mt19937_64 rng{ro.seed ^ 0x5eed5eed5eedull};
  // A deterministic clock: timestamps (and push keys) are the same in every replay.
  auto clock = std::make_shared<std::atomic<int64_t>>(1'700'000'000'000'000'000);
  auto opts = store_options(ro);
  opts.clock = [clock] { return ++*clock; };
  if (ro.timeouts)
    opts.lock_lease = std::chrono::milliseconds{5};
  auto open_store = [&](caf::actor_system& sys) {
    store_config cfg;
    cfg.opts = opts;
    cfg.mode = durability::sync;
    cfg.persistence_thread = false;
    auto recorded = std::make_unique<recording_adapter>(
      std::make_unique<test::memory_disk_adapter>(disk), log);
    cfg.persistent = std::make_unique<faulty_adapter>(faults, std::move(recorded));
    return spawn_store(sys, std::move(cfg));
  };
  {
    sim_config cfg;
    caf::actor_system sys{cfg};
    auto& sched = dynamic_cast<caf::scheduler::test_coordinator&>(sys.scheduler());
    auto run_all = [&] {
      while (sched.has_job())
        sched.run_once();
    };
    auto store = open_store(sys);
    auditor audit{sys, log, [&] { run_all(); }};
    if (!audit.start(store)) {
      result.violations.push_back(violation{"start", "the store did not start", "", {}});
      return result;
    }
    auto keys = key_space::make(ro.load.hooks);
    auto done = std::make_shared<int>(0);
    auto parent = sys.spawn(finish_counter, done);
    auto spawned = spawn_workload(sys, store, log, keys, ro.load, rng, parent);
    auto& clients = spawned.clients;
    auto& watchers = spawned.watchers;
    auto expected = static_cast<int>(clients.size());
    // Run every ready actor in an order drawn from the seed; fire timers now and then.
    constexpr uint64_t max_steps = 20'000'000;
    while (*done < expected && result.steps < max_steps) {
      if (!sched.has_job()) {
        if (!sched.has_pending_timeout())
          break; // stuck: what is unanswered shows as `no answer`
        sched.trigger_timeout();
        continue;
      }
      if (ro.timeouts && sched.has_pending_timeout() && rng() % 300 == 0)
        sched.trigger_timeout();
      if (ro.faults && rng() % 500 == 0) {
        if (rng() % 2 == 0)
          faults->fail_nth_write(faults->write_calls() + 1 + rng() % 3);
        else if (rng() % 2 == 0)
          faults->fail_key(keys.keys[rng() % keys.keys.size()]);
        else
          faults->clear_fail_key();
      }
      auto n = sched.jobs.size();
      auto pick = sched.jobs.begin() + static_cast<std::ptrdiff_t>(rng() % n);
      std::rotate(sched.jobs.begin(), pick, pick + 1);
      sched.run_once();
      ++result.steps;
    }
    faults->reset();
    for (auto& w : watchers)
      caf::anon_send(w, settle_atom::value);
    run_all();
    // What the store holds now, read the way a client would.
    audit.read_everything(store, keys);
    if (ro.restart) {
      audit.close(store);
      for (auto& x : clients)
        caf::anon_send_exit(x, caf::exit_reason::user_shutdown);
      run_all();
      auto again = open_store(sys);
      if (!audit.start(again)) {
        result.violations.push_back(violation{"restart", "the store did not start again", "", {}});
      } else {
        audit.read_everything(again, keys);
        audit.resume_all(again, ro.history_events);
      }
      audit.close(again);
      caf::anon_send_exit(again, caf::exit_reason::user_shutdown);
    }
    for (auto& x : clients)
      caf::anon_send_exit(x, caf::exit_reason::user_shutdown);
    for (auto& x : watchers)
      caf::anon_send_exit(x, caf::exit_reason::user_shutdown);
    caf::anon_send_exit(parent, caf::exit_reason::user_shutdown);
    caf::anon_send_exit(store, caf::exit_reason::user_shutdown);
    audit.stop();
    run_all();
    while (sched.trigger_timeouts() > 0)
      run_all();
  }
  result.input.ops = log->ops();
  result.input.subscriptions = log->subscriptions();
  result.input.commits = log->commits();
  result.input.leases_may_expire = ro.timeouts;
  if (ro.load.hooks)
    result.input.failing_read_keys = {"boom/*"};
  auto found = check(result.input);
  result.violations.insert(result.violations.end(), found.begin(), found.end());
  return result;
}

} // namespace ooo::storage::model

#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "tests/model/checker.hpp"
#include "tests/model/workload.hpp"

namespace ooo::storage::model {

/// How one run is set up. `derive` fills everything from the seed, so that a seed alone
/// replays a run.
struct run_options {
  uint64_t seed = 1;
  workload load;
  /// Shards of the store.
  size_t shards = 2;
  size_t watch_window = 16;
  size_t history_events = 1000;
  size_t max_lock_waiters = 100;
  /// Persistence refuses some writes.
  bool faults = false;
  /// Lock leases run out now and then (the simulation fires timers at random).
  bool timeouts = false;
  /// Close the store after the workload, open it again on the same disk and check it.
  bool restart = true;

  /// A random configuration from `seed` (within the switches the caller allows).
  static run_options derive(uint64_t seed, bool allow_faults, bool allow_hooks,
                            bool allow_timeouts);

  std::string describe() const;
};

struct run_result {
  check_input input;
  std::vector<violation> violations;
  uint64_t steps = 0;
};

/// Runs the workload on CAF's deterministic test scheduler: every actor, the persistence actor
/// included, runs in an order drawn from the seed, so the same seed replays the same run.
run_result run_simulation(const run_options& opts);

/// Runs the workload on real threads: CAF actors, threads sharing one blocking facade, and a
/// client on another actor system over loopback, for about `seconds`, on RocksDB in `dir` (or
/// in memory when `dir` is empty).
run_result run_threads(const run_options& opts, double seconds, const std::string& dir);

} // namespace ooo::storage::model

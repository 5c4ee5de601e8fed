#pragma once

#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "caf/actor.hpp"
#include "caf/fwd.hpp"

#include "messages/store_actor.hpp"
#include "tests/model/history.hpp"

namespace ooo::storage::model {

/// What the clients of a run do: how many of each, how much, on which keys.
struct workload {
  /// Clients that pipeline up to `window` requests of every kind except locks.
  int pipeliners = 3;
  int window = 8;
  int ops_per_pipeliner = 300;
  /// Clients that run lock cycles one request at a time (get_and_lock -> set_and_unlock,
  /// lock -> set with the token -> unlock, lock -> unlock); now and then one dies holding a lock.
  int lockers = 2;
  int cycles_per_locker = 40;
  /// Subscribers; some resume, some are slow, some lossless.
  int watchers = 3;
  /// Lock leases in milliseconds (0: the store's default).
  uint32_t lease_ms = 0;
  /// Silent deletes (their changes are hidden from subscribers).
  bool silent = true;
  /// Keys under `boom/` have hooks that throw (see `hook_options`).
  bool hooks = false;
  /// Lockers may die while holding a lock.
  bool holders_die = true;
};

/// The key space: few keys, so that requests collide.
struct key_space {
  std::vector<std::string> keys;
  std::vector<std::string> patterns;
  std::vector<std::string> lock_keys;

  static key_space make(bool hooks);
};

/// Spawns a client that sends `n` random requests, keeping up to `window` in flight, and
/// records each in `log` under `client`. It sends `done` to `parent` when all are answered.
caf::actor spawn_pipeliner(caf::actor_system& sys, store_actor store,
                           std::shared_ptr<history> log, const key_space& keys, int client,
                           uint64_t seed, int window, int n, bool silent, caf::actor parent);

/// Spawns a client running `n` lock cycles one request at a time.
caf::actor spawn_locker(caf::actor_system& sys, store_actor store, std::shared_ptr<history> log,
                        const key_space& keys, int client, uint64_t seed, int n,
                        uint32_t lease_ms, bool may_die, caf::actor parent);

/// Spawns a subscriber that subscribes, now and then stops and resumes from where it stood,
/// and acknowledges batches at once or after a while. It records every batch and notice.
caf::actor spawn_watcher(caf::actor_system& sys, store_actor store, std::shared_ptr<history> log,
                         const key_space& keys, int client, uint64_t seed);

/// The clients of one run: `clients` send `done` to the parent when they finish, `watchers`
/// run until told to settle. `last_client` is the highest client number taken.
struct workload_actors {
  std::vector<caf::actor> clients;
  std::vector<caf::actor> watchers;
  int last_client = 0;
};

/// Spawns `load`'s watchers, pipeliners and lockers, in that order, numbering them from 1 and
/// drawing each one's seed from `rng`: the same `rng` state gives the same run.
workload_actors spawn_workload(caf::actor_system& sys, const store_actor& store,
                               const std::shared_ptr<history>& log, const key_space& keys,
                               const workload& load, std::mt19937_64& rng,
                               const caf::actor& parent);

/// Sends `done` to the parent: a client finished.
using done_atom = caf::atom_constant<caf::atom("done")>;

/// Tells a watcher to stop changing its subscriptions and to acknowledge at once from now on.
using settle_atom = caf::atom_constant<caf::atom("settle")>;

} // namespace ooo::storage::model

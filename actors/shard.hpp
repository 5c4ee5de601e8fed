#pragma once

#include <atomic>
#include <cstdint>
#include <memory>

#include "caf/actor.hpp"
#include "caf/fwd.hpp"

#include "actors/options.hpp"
#include "persistence/persistence_actor.hpp"

namespace ooo::storage {

/// What a shard needs from the store that spawns it.
struct shard_config {
  std::shared_ptr<const options> opts;
  /// Null in memory mode: the shard then commits by itself.
  persistence_actor persistence;
  /// The store-wide revision counter; in memory mode shards draw revisions from it.
  std::shared_ptr<std::atomic<uint64_t>> revision;
  /// Where every committed change is published (see event_log.hpp).
  caf::actor log;
};

/// Spawns a shard: the owner of one slice of the key space (`shard_of(key, n)`).
///
/// It serializes every operation on a key in arrival order. A write goes to the persistence
/// actor and takes effect (memory, reply, events) only when persistence accepted it; until
/// then, later operations on the same key wait in that key's queue while other keys keep
/// flowing. Writers of a locked key wait in a second per-key queue, never in `await`.
///
/// Besides the exact-key messages of `store_actor` (set, get, del, delsilent, lock, getlock,
/// unlock) it handles the store's internal protocol:
///
/// | message                                   | reply          |
/// |-------------------------------------------|----------------|
/// | list, pattern, list_options               | vector<object> (sorted, first offset+limit) |
/// | keys, pattern, list_options               | vector<string> (sorted, first offset+limit) |
/// | collect, pattern ("" = all)               | matching keys; holds the shard until apply/release |
/// | apply, first revision, silent             | number deleted |
/// | release                                   | (empty)        |
/// | load, vector<object>                      | (empty)        |
/// | publish (to itself)                       | sends the batch of events to the event log |
/// | stats                                     | store_stats (keys, locks, lock_waiters) |
/// | close                                     | (empty) once nothing is in flight |
caf::actor spawn_shard(caf::actor_system& sys, shard_config cfg);

} // namespace ooo::storage

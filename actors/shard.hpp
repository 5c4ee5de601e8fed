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
  /// In a replicated group: where lock tokens come from (see replica_protocol.hpp); null: the
  /// shard numbers them itself.
  std::shared_ptr<std::atomic<uint64_t>> lock_tokens;
};

/// Spawns a shard: the owner of one slice of the key space (`shard_of(key, n)`).
///
/// Operations on one key take effect in the order the shard received them, with two refinements
/// (see key_table.hpp): an operation that is not blocked itself may pass one that waits for a
/// lock (they are concurrent), and ops of one client on one key never pass each other. The
/// writes of a mailbox round go to persistence as one commit and take effect (memory, events,
/// answers, in that order) when it is accepted; meanwhile later operations on their keys wait
/// while other keys keep flowing. Nothing waits in `await`: a waiting operation is parked with
/// its response promise and re-run when what blocked it is gone.
///
/// Besides the exact-key messages of `store_actor` (set, get, del, delsilent, lock, getlock,
/// unlock, answered to the original sender) it handles the router's protocol
/// (actors/protocol.hpp), where `client` is the original sender and `id` names the operation:
///
/// | message                                    | reply          |
/// |--------------------------------------------|----------------|
/// | list, pattern, list_options, client, id    | vector<object> (sorted, first offset+limit) |
/// | keys, pattern, list_options, client, id    | vector<string> (sorted, first offset+limit) |
/// | prepare, id, client, pattern ("" = all)    | (empty) once the client's earlier ops on covered keys are done |
/// | collect, id                                | the covered keys, once none has a write in flight; holds them |
/// | apply, id, first revision, unit, silent    | number deleted |
/// | release, id                                | (none): the router answered; what was held runs |
/// | load, vector<object>                       | (empty): replaces the content |
/// | start                                      | (none): serve again after close |
/// | stats                                      | store_stats (keys, locks, lock_waiters) |
/// | close                                      | (empty) once nothing is in flight |
/// | replica_apply, changes, hidden revisions   | (none): a replicated group's committed changes |
/// | drop_locks                                 | (none): every lock ends |
caf::actor spawn_shard(caf::actor_system& sys, shard_config cfg);

} // namespace ooo::storage

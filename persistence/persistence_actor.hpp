#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

#include "caf/fwd.hpp"
#include "caf/replies_to.hpp"
#include "caf/typed_actor.hpp"

#include "messages/atoms.hpp"
#include "messages/object.hpp"
#include "persistence/adapter.hpp"

namespace ooo::storage {

/// The persistence actor's messages (see `persistence_actor`).
using commit_atom = caf::atom_constant<caf::atom("commit")>;
using load_atom = caf::atom_constant<caf::atom("load")>;

/// Counters of the group commit, for `stats` and the benchmarks.
struct commit_stats {
  /// Adapter writes (one fsync each in `sync` mode).
  uint64_t batches = 0;
  /// Changes written; `changes / batches` is the average group size.
  uint64_t changes = 0;
  /// The adapter's own gauges (see `adapter::gauges`).
  std::map<std::string, uint64_t> gauges;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, commit_stats& x) {
  return f(caf::meta::type_name("ooo::storage::commit_stats"), x.batches, x.changes, x.gauges);
}

/// The one writer of the persistent layer, and the store's sequencing point: it assigns every
/// committed change the next store-wide revision.
///
/// | message                          | reply                                              |
/// |----------------------------------|----------------------------------------------------|
/// | commit, vector<change>           | revision of the first change (the rest follow +1) |
/// | load, shard count                | every stored object, partitioned by `shard_of`, the retained history and the revision it starts after |
/// | stats                            | commit_stats                                       |
/// | close                            | (empty) after the adapter is closed                |
///
/// Group commit: a `commit` only queues its changes and, unless one is pending, sends the actor
/// a `flush`. Every commit that reaches the mailbox before that flush joins the same batch, so
/// one adapter write (one fsync) serves every writer that arrived during the previous write.
using persistence_actor = caf::typed_actor<
  caf::replies_to<commit_atom, std::vector<change>>::with<uint64_t>,
  caf::replies_to<load_atom, uint32_t>::with<std::vector<std::vector<object>>,
                                             std::vector<event>, uint64_t>,
  caf::replies_to<stats_atom>::with<commit_stats>,
  caf::reacts_to<caf::flush_atom>,
  caf::replies_to<caf::close_atom>::with<void>>;

/// Spawns the persistence actor, on its own thread unless `own_thread` is false (fsync must not
/// stall a scheduler worker; a deterministic test scheduler must run every actor itself). It
/// owns `store`. `revision` is the store-wide counter: set from disk by `load`, advanced by
/// every successful commit, read by `stats`.
persistence_actor spawn_persistence(caf::actor_system& sys, std::unique_ptr<adapter> store,
                                    std::shared_ptr<std::atomic<uint64_t>> revision,
                                    bool own_thread = true);

} // namespace ooo::storage

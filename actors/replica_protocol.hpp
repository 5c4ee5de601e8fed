#pragma once

#include <atomic>
#include <cstdint>
#include <memory>

#include "caf/atom.hpp"

#include "persistence/persistence_actor.hpp"

// What a replicated group (cluster/) plugs into the store. Internal to the node: none of this
// crosses the network, and a store on its own never sees it.
namespace ooo::storage {

/// Group -> shard: `replica_apply, vector<change>, vector<uint64_t> units, vector<uint64_t>
/// hidden`. Changes that the group committed and that no write of this shard is waiting for
/// (another node proposed them, or this node's proposal was answered `leadership_lost` and
/// committed after all), in log order, with their revisions assigned and each one's unit (see
/// `event::unit`; a glob delete's unit spans shards, so the group computes it); plus
/// revisions that changed nothing this shard owns but must still take their place in the
/// event log's order. The shard applies them like its own committed writes (memory, hooks,
/// events), whatever it is doing. No reply.
using replica_apply_atom = caf::atom_constant<caf::atom("rapply")>;

/// Group -> shard: `drop_locks`. Leadership changed hands: every lock this shard holds ends
/// as if its lease ran out, and what waited for one runs again. No reply.
using drop_locks_atom = caf::atom_constant<caf::atom("droplocks")>;

/// Store -> group: `replica_attach, vector<actor> shards, actor event_log, actor store`, once,
/// right after the store spawned them: where committed changes go. No reply.
using replica_attach_atom = caf::atom_constant<caf::atom("rattach")>;

/// How a store runs inside a replicated group (`store_config::replica`).
struct replica_hookup {
  /// Takes the place of the persistence actor: the shards' commits become proposals to the
  /// group, answered once committed and applied (see cluster/replica_sink.hpp). The store
  /// also sends it `replica_attach`.
  persistence_actor persistence;
  /// The store-wide revision counter, kept by the group: the revision the store's shards have
  /// applied up to.
  std::shared_ptr<std::atomic<uint64_t>> revision;
  /// Lock tokens come from this sequence instead of each shard's own: the group starts it at
  /// `term << 32` whenever this node becomes leader, so that a token granted under one
  /// leadership never names a lock granted under another (on any node).
  std::shared_ptr<std::atomic<uint64_t>> lock_tokens;
};

} // namespace ooo::storage

#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "caf/actor.hpp"
#include "caf/expected.hpp"
#include "caf/fwd.hpp"

#include "actors/replica_protocol.hpp"
#include "persistence/adapter.hpp"
#include "replication/member.hpp"

namespace ooo::storage::cluster {

/// Opens the RocksDB adapter of a directory (the live one, or one restored from a snapshot).
using adapter_opener = std::function<caf::expected<std::unique_ptr<adapter>>(const std::string&)>;

/// What the replica sink of one group on one node needs.
struct sink_config {
  replication::group_id group = 1;
  /// This node's Raft server id.
  uint64_t node_id = 0;
  /// The node's replicator (replication/replicator.hpp), where entries are proposed.
  caf::actor replicator;
  /// The directory of the node's RocksDB. A snapshot is unpacked next to it (`DIR.restore`)
  /// and then takes its place; a checkpoint for a snapshot is made in `DIR.snapshot`.
  std::string store_dir;
  /// The adapter open on `store_dir`, and how to open another one after a restore.
  std::unique_ptr<adapter> disk;
  adapter_opener open;
  /// The history the store retains for resuming subscribers (`options::history_events`,
  /// `history_bytes`), kept on disk by the adapter.
  uint64_t history_events = 0;
  uint64_t history_bytes = 0;
  /// Shared with the store (`store_config::replica`): the revision its shards applied, the
  /// lock token sequence.
  std::shared_ptr<std::atomic<uint64_t>> revision;
  std::shared_ptr<std::atomic<uint64_t>> lock_tokens;
};

/// Spawns the replica sink: one group's state machine on this node, and its store's
/// persistence. On its own thread (it writes RocksDB).
///
/// **As the replicator's sink** (replication/replicator.hpp) it applies committed entries in
/// log order: a `write_entry` gets the next revisions of the node's counter and goes to
/// RocksDB in one batch with the `applied_position` (entries at or below the stored position
/// are skipped: libraft hands the log out again after a restart), unless it was decided in an
/// epoch that is no longer the log's (then nothing happens, on every node alike); a
/// `leader_entry` starts an epoch. A write entry this node proposed answers the waiting
/// commits with their first revisions (the shards then apply them as usual); any other goes
/// to the shards as `replica_apply`. Snapshots are RocksDB checkpoints packed as a file set;
/// a restore swaps the directory and brings a running store up to the snapshot.
///
/// **As the store's persistence** (`persistence_actor`): `commit` joins the next proposal (one
/// log entry per mailbox round, like the persistence actor's group commit) while this node
/// serves, else fails with `not_leader` (naming the leader) or `unavailable`; `load` reads
/// RocksDB (the retained history only the first time: the event log keeps its own after
/// that); `stats` gives the entries and changes applied and RocksDB's gauges; `close` answers
/// at once (the group keeps applying while the store is closed).
///
/// **Leadership**: it polls the replicator every 100 ms. When this node becomes leader it
/// closes the store (so that nothing decided before can still be proposed), ends every lock,
/// proposes a `leader_entry`, starts the store again on the applied state, and then serves.
/// When it stops being leader it stops serving and ends every lock. Watchers (the front)
/// learn each change as a `group_view`.
///
/// Other messages: `replica_attach` (from the store), `start_store` -> (empty) once the store
/// runs, `client_address, HOST:PORT`, `watch_view, actor`. See cluster/atoms.hpp.
caf::actor spawn_replica_sink(caf::actor_system& sys, sink_config cfg);

} // namespace ooo::storage::cluster

#pragma once

#include "caf/actor.hpp"
#include "caf/actor_system.hpp"

namespace ooo::storage::replication {

/// Spawns the replicator: the actor that owns this node's Raft servers (one `raft_node` per
/// group, each on its own libuv loop thread) and hands committed entries to the groups'
/// sinks. One per node is enough; it keeps the state of each group apart.
///
/// Requests, their replies and their errors (`caf::error`s of category `replica`, errc.hpp;
/// every request but the first may also fail with `unknown_group`):
///
/// - `open_group_atom, group_settings, caf::actor sink` -> (empty), once the group's server
///   started (its latest snapshot restored into the sink). invalid_config, group_exists,
///   io_failed (e.g. the port is taken), snapshot_failed.
/// - `close_group_atom, group_id` -> (empty), once the server closed and its thread ended.
/// - `propose_atom, group_id, bytes payload` -> `uint64_t index`, once the entry is committed
///   (stored by a majority) and this node's sink applied it. not_leader, leadership_lost (the
///   outcome is unknown: the entry may still commit), too_many_pending, shutting_down,
///   apply_failed.
/// - `barrier_atom, group_id` -> `uint64_t index`, once every entry committed before the
///   barrier is applied by this node's sink: then a read from the sink is linearizable.
///   not_leader, leadership_lost, shutting_down, apply_failed.
/// - `add_member_atom, group_id, uint64_t id, std::string address` -> (empty); the new member
///   is a spare. `assign_role_atom, group_id, uint64_t id, member_role role` -> (empty).
///   `remove_member_atom, group_id, uint64_t id` -> (empty). not_leader, change_in_progress,
///   bad_member.
/// - `transfer_atom, group_id, uint64_t id` (0: the most up-to-date voter) -> `uint64_t`, the
///   new leader's id. not_leader, bad_member, transfer_failed.
/// - `group_status_atom, group_id` -> `group_id, node_status`, whose `applied` counts what the
///   sink acknowledged.
///
/// `not_leader` carries the leader's id and Raft address (`leader_of(err)`), so that a caller
/// can retry there.
///
/// The sink, an actor on this node, receives these requests and must answer each one:
///
/// - `committed_atom, group_id, uint64_t index, bytes payload` -> nothing (a handler
///   returning `void`), once the entry is applied. An error stops the group on this node
///   (`apply_failed`): a node that cannot apply an entry cannot apply the ones after it.
/// - `take_snapshot_atom, group_id, uint64_t index` -> `snapshot_image` covering at least
///   every entry up to `index` (the position it records: the larger of `index` and the last
///   index the sink applied; `index` may be a barrier's, which the sink never sees).
/// - `restore_snapshot_atom, group_id, uint64_t index, bytes image` -> nothing, once the
///   sink's state is the snapshot's (or newer: a restore older than the state is a no-op).
///
/// Committed entries reach the sink in log order on every node of the group. The replicator
/// sends the next without waiting for the previous answer: the sink's mailbox keeps the
/// order. Snapshot and restore requests come in the same stream, after every entry they
/// cover. The sink must stay alive while its groups are open; if it terminates, its groups
/// stop here with `apply_failed`.
caf::actor spawn_replicator(caf::actor_system& sys);

} // namespace ooo::storage::replication

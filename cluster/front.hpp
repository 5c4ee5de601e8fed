#pragma once

#include "caf/actor.hpp"
#include "caf/fwd.hpp"

#include "messages/group_actor.hpp"
#include "replication/member.hpp"

namespace ooo::storage::cluster {

/// What the front of one group's node needs.
struct front_config {
  /// The node's store (whose persistence is the group's replica sink).
  store_actor store;
  /// The replica sink, which tells the front where the group stands (`group_view`).
  caf::actor sink;
  /// The node's replicator: barriers, status and membership.
  caf::actor replicator;
  replication::group_id group = 1;
  /// Followers serve reads (get, list, keys) from their own state instead of refusing them.
  bool stale_reads = false;
};

/// Spawns the front: what a node of a replicated group publishes and hands to its HTTP
/// gateway in place of the store. It speaks `group_actor` (the store's messages plus
/// membership) and decides, from the latest `group_view`, what this node may do:
///
/// - **writes** (set, push, del, delsilent, unlock, clear): passed to the store (which commits
///   through the group) only while this node serves as leader; otherwise `not_leader` naming
///   the leader's `HOST:PORT` (empty while unknown), or `unavailable` while a new leader
///   catches up;
/// - **reads** (get, list, keys) and **lock grants** (lock, getlock): on the serving leader,
///   after a Raft barrier issued after they arrived has been applied here, so that what they
///   see includes every write acknowledged anywhere before, and a leader cut off from the
///   majority cannot grant a lock (reads that arrive while a barrier is out share the next
///   one); on a follower, with `stale_reads`, from its own state at once (reads only),
///   otherwise `not_leader`;
/// - **subscriptions** on any node: every node applies the same changes with the same
///   revisions, so a subscriber can resume on another node from its last revision;
/// - **stats** on any node, with `role`, `leader`, `term` and `applied`;
/// - **membership** (`members`, `add_member`, `remove_member`, `transfer`): see
///   messages/group_actor.hpp.
///
/// Requests of one client keep their order: once one of them waits for a barrier, its later
/// ones wait behind it.
group_actor spawn_front(caf::actor_system& sys, front_config cfg);

} // namespace ooo::storage::cluster

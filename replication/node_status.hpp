#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "caf/meta/type_name.hpp"

#include "replication/member.hpp"

namespace ooo::storage::replication {

/// Where a node stands in its group's election cycle (libraft's states).
enum class node_role : uint8_t {
  /// Not started, closing or closed.
  unavailable = 0,
  follower = 1,
  candidate = 2,
  leader = 3,
};

/// Returns `unavailable`, `follower`, `candidate` or `leader`.
const char* to_string(node_role x);

/// One node's view of its group, as of the end of its loop's latest iteration.
struct node_status {
  node_role role = node_role::unavailable;
  /// This node's id and Raft address.
  uint64_t id = 0;
  std::string address;
  /// The leader this node knows of (itself when leader); 0 and empty when unknown.
  uint64_t leader_id = 0;
  std::string leader_address;
  /// The latest term this node has seen.
  uint64_t term = 0;
  /// The highest index this node knows to be committed.
  uint64_t commit_index = 0;
  /// Every entry up to here has been applied on this node. From a `raft_node`: handed to the
  /// state machine; from the replicator: acknowledged by the sink.
  uint64_t applied = 0;
  /// The highest index in this node's log (committed or not).
  uint64_t last_index = 0;
  /// The index the latest snapshot covers (0: none); the log holds entries after
  /// `snapshot_index - snapshot_trailing` only.
  uint64_t snapshot_index = 0;
  /// The group's configuration as this node knows it (possibly not yet committed).
  std::vector<member> members;
  /// The latest snapshot or restore failure on this node, rendered (empty: none). A snapshot
  /// that keeps failing lets the log grow; libraft retries at the next threshold.
  std::string last_failure;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, node_status& x) {
  return f(caf::meta::type_name("ooo::storage::replication::node_status"), x.role, x.id,
           x.address, x.leader_id, x.leader_address, x.term, x.commit_index, x.applied,
           x.last_index, x.snapshot_index, x.members, x.last_failure);
}

} // namespace ooo::storage::replication

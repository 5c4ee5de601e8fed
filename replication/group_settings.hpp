#pragma once

#include <cstdint>
#include <vector>

#include "caf/error.hpp"
#include "caf/meta/type_name.hpp"

#include "replication/member.hpp"
#include "replication/node_config.hpp"

namespace ooo::storage::replication {

/// Everything the replicator needs to open one group on this node.
struct group_settings {
  /// The group's id, the same on every member.
  group_id group = 0;
  /// This node's Raft server for the group (id, address, directory, timeouts, snapshots).
  node_config node;
  /// The group's initial voters when it is created (the same list on each of them); empty
  /// for a node that joins an existing group through `add_member`. A node that restarts
  /// passes the same list again: bootstrapping a directory that holds a log is a no-op.
  std::vector<member> initial_members;
  /// The most proposals this node lets wait for their commit; beyond it a proposal is refused
  /// with `too_many_pending` (the store's own admission control should keep below it).
  uint32_t max_pending = 10000;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, group_settings& x) {
  return f(caf::meta::type_name("ooo::storage::replication::group_settings"), x.group, x.node,
           x.initial_members, x.max_pending);
}

/// Checks settings before a group is opened: `invalid_config` naming the first problem.
caf::error validate(const group_settings& settings);

} // namespace ooo::storage::replication

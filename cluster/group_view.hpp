#pragma once

#include <cstdint>
#include <string>

#include "caf/meta/type_name.hpp"

#include "replication/node_status.hpp"

namespace ooo::storage::cluster {

/// What a node's client-facing actor needs to know about its group to admit requests, as the
/// replica sink sees it (cluster/replica_sink.hpp). Local to the node.
struct group_view {
  replication::node_role role = replication::node_role::unavailable;
  uint64_t term = 0;
  /// This node is the leader, applied everything before its own `leader_entry` and restarted
  /// its store from there: it serves writes and linearizable reads.
  bool serving = false;
  /// The serving leader's client address `HOST:PORT`, empty while unknown.
  std::string leader_address;
};

inline bool operator==(const group_view& x, const group_view& y) {
  return x.role == y.role && x.term == y.term && x.serving == y.serving
         && x.leader_address == y.leader_address;
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, group_view& x) {
  return f(caf::meta::type_name("ooo::storage::cluster::group_view"), x.role, x.term, x.serving,
           x.leader_address);
}

} // namespace ooo::storage::cluster

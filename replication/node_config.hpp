#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "caf/error.hpp"
#include "caf/meta/type_name.hpp"

namespace ooo::storage::replication {

/// How one node runs one group's Raft server. Everything but `id`, `address` and `data_dir`
/// has a default that suits a LAN.
struct node_config {
  /// This server's id in the group; not 0.
  uint64_t id = 0;
  /// Where this server's Raft transport listens and where the other members reach it,
  /// `HOST:PORT`. The members of a group must agree on it (it is part of the configuration).
  std::string address;
  /// Where libraft keeps the log, the term/vote metadata and the snapshots. Created if
  /// missing; one directory per group and node, never shared.
  std::string data_dir;
  /// A follower that hears nothing from a leader for this long (randomised between 1x and
  /// 2x) starts an election; a leader that hears from no majority for this long steps down.
  std::chrono::milliseconds election_timeout{1000};
  /// A leader sends heartbeats this often when idle; must be below `election_timeout`.
  std::chrono::milliseconds heartbeat_timeout{100};
  /// Take a snapshot once this many entries were applied since the last one, so that the
  /// log stays bounded (libraft's threshold; its default is 1024).
  uint32_t snapshot_threshold = 1024;
  /// Entries kept in the log behind a snapshot, so that a follower lagging by fewer than
  /// this catches up from the log instead of a whole snapshot (libraft's default: 128).
  uint32_t snapshot_trailing = 128;
  /// How long the state machine may take to produce a snapshot before the attempt is
  /// abandoned (libraft retries at the next threshold).
  std::chrono::milliseconds snapshot_timeout{std::chrono::seconds{60}};
  /// How long the state machine may take to restore a snapshot before it counts as failed.
  std::chrono::milliseconds restore_timeout{std::chrono::seconds{300}};
  /// Pre-vote (Raft thesis 9.6): a node that was cut off does not depose a healthy leader
  /// when it comes back.
  bool pre_vote = true;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, node_config& x) {
  return f(caf::meta::type_name("ooo::storage::replication::node_config"), x.id, x.address,
           x.data_dir, x.election_timeout, x.heartbeat_timeout, x.snapshot_threshold,
           x.snapshot_trailing, x.snapshot_timeout, x.restore_timeout, x.pre_vote);
}

/// Checks a configuration before anything is opened: an `invalid_config` error naming the
/// first unusable setting, or an empty error.
caf::error validate(const node_config& cfg);

/// Checks that `address` has the form `HOST:PORT` with a port in 1..65535.
bool is_host_port(const std::string& address);

} // namespace ooo::storage::replication

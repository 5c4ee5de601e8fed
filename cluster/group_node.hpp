#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "caf/actor.hpp"
#include "caf/expected.hpp"
#include "caf/fwd.hpp"

#include "actors/options.hpp"
#include "messages/group_actor.hpp"
#include "replication/member.hpp"

namespace ooo::storage::cluster {

/// One node of a replicated group, as `ooo-storaged` runs it.
struct group_node_config {
  replication::group_id group = 1;
  /// This node's Raft server id (never 0, unique in the group).
  uint64_t node_id = 0;
  /// Where this node's Raft transport listens and where the other members reach it.
  std::string raft_address;
  /// The group's first voters, the same list on each of them; empty for a node that joins an
  /// existing group (`ooo-storage member add` on the leader then makes it a member).
  std::vector<replication::member> initial_members;
  /// `DIR/raft` holds libraft's log and snapshots, `DIR/store` the RocksDB the log is applied
  /// to.
  std::string data_dir;
  /// The store's options (shards, limits, history); its persistence is the group.
  options store_options;
  /// Followers serve reads from their own state.
  bool stale_reads = false;
  std::chrono::milliseconds election_timeout{1000};
  std::chrono::milliseconds heartbeat_timeout{100};
  /// libraft snapshots (RocksDB checkpoints) after this many applied entries, and keeps this
  /// many behind one for followers that lag a little.
  uint32_t snapshot_threshold = 4096;
  uint32_t snapshot_trailing = 2048;
};

/// The actors of one group node: replicator, replica sink, store, front. `start` opens
/// RocksDB, joins the group (libraft replays its log into the sink) and starts the store;
/// `close` closes the store and the group and ends every actor.
class group_node {
public:
  /// Fails with the reason (RocksDB directory in use, invalid settings, Raft port taken, ...).
  static caf::expected<std::unique_ptr<group_node>> start(caf::actor_system& sys,
                                                          group_node_config cfg);

  ~group_node();

  group_node(const group_node&) = delete;
  group_node& operator=(const group_node&) = delete;

  /// What to publish and give the HTTP gateway.
  const group_actor& front() const {
    return front_;
  }

  /// Tells the group where clients reach this node (`HOST:PORT` of the published port): a
  /// node takes up leadership only once it knows, because followers name it in `not_leader`.
  void set_client_address(const std::string& address);

  /// Hands leadership to another voter if this node leads (so that the group elects no one
  /// while it waits for an election timeout), closes the store, closes the group, ends every
  /// actor. Returns what went wrong, if anything; safe to call once.
  caf::error close();

private:
  group_node(caf::actor_system& sys, group_node_config cfg);

  caf::actor_system& sys_;
  group_node_config cfg_;
  caf::actor replicator_;
  caf::actor sink_;
  store_actor store_;
  group_actor front_;
  bool closed_ = false;
};

} // namespace ooo::storage::cluster

#pragma once

// The replica sink's state and the pieces of its behaviour in their own files
// (sink_apply.cpp, sink_snapshots.cpp, sink_leadership.cpp). Internal to cluster/.

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "caf/actor.hpp"
#include "caf/event_based_actor.hpp"
#include "caf/message.hpp"
#include "caf/response_promise.hpp"
#include "caf/stateful_actor.hpp"

#include "cluster/applied_position.hpp"
#include "cluster/group_view.hpp"
#include "cluster/replica_sink.hpp"
#include "persistence/persistence_actor.hpp"
#include "replication/node_status.hpp"
#include "replication/state_machine.hpp"

namespace ooo::storage::cluster::detail {

/// Where the store stands, which decides what happens to committed changes for its shards.
enum class store_phase {
  /// Not started: its `load` will read them from RocksDB.
  unloaded,
  /// `load` answered, `start` not yet: they wait in `held`, behind the shards' `load`.
  loading,
  /// Running: they go to the shards at once.
  live,
};

/// A shard's commit waiting for its entry to be applied: its promise (answered with the
/// first revision) and how many changes it has.
struct waiting_commit {
  caf::response_promise promise;
  size_t size = 0;
};

struct sink_state {
  sink_config cfg;
  std::shared_ptr<adapter> disk;
  applied_position position;
  /// True once a `load` gave the retained history to the event log.
  bool history_given = false;

  // -- the store ------------------------------------------------------------------------------
  std::vector<caf::actor> shards;
  caf::actor event_log;
  caf::actor store;
  store_phase phase = store_phase::unloaded;
  /// Messages for shards (by index) held while the store loads.
  std::vector<std::pair<size_t, caf::message>> held;
  /// Answered once the store runs (`start_store`).
  std::vector<caf::response_promise> start_waiters;
  bool starting = false;

  // -- proposals ------------------------------------------------------------------------------
  /// Tells this process's entries apart from those of an earlier run of the same node.
  uint64_t incarnation = 0;
  uint64_t next_proposal = 1;
  /// The next proposal, gathering commits until the mailbox round ends.
  std::vector<std::vector<change>> batch;
  std::vector<waiting_commit> batch_waiting;
  bool flush_scheduled = false;
  /// Proposed and waiting for their entry, by proposal number.
  std::unordered_map<uint64_t, std::vector<waiting_commit>> proposed;

  // -- leadership -----------------------------------------------------------------------------
  /// The epoch in which this node serves; empty while it does not.
  epoch serving;
  /// The term of a leadership being taken up (0: none).
  uint64_t taking_term = 0;
  replication::node_status status;
  std::string client_address;
  group_view view;
  std::vector<caf::actor> view_watchers;

  commit_stats stats;

  static inline const char* name = "ooo.replica_sink";
};

using sink_actor = caf::stateful_actor<sink_state>;

/// replica_sink.cpp: the error a commit gets while this node does not serve.
caf::error refusal(const sink_state& st);

/// sink_apply.cpp: applies one committed entry (see spawn_replica_sink).
caf::error apply_entry(sink_actor* self, uint64_t index, const std::vector<char>& payload);

/// sink_apply.cpp: hands a message to shard `i`, or holds it while the store loads.
void to_shard(sink_actor* self, size_t i, caf::message msg);

/// sink_apply.cpp: sends what was held to the shards (the store runs now).
void release_held(sink_actor* self);

/// sink_apply.cpp: answers the commits of proposal `proposal` with `err`.
void fail_proposal(sink_actor* self, uint64_t proposal, const caf::error& err);

/// sink_snapshots.cpp: a checkpoint of RocksDB, packed.
caf::expected<replication::snapshot_image> take_snapshot(sink_actor* self);

/// sink_snapshots.cpp: replaces RocksDB with a snapshot's and brings the store up to it.
caf::error restore_snapshot(sink_actor* self, uint64_t index, const std::vector<char>& image);

/// sink_leadership.cpp: asks the replicator for the group's status, then `on_status`.
void poll(sink_actor* self);

/// sink_leadership.cpp: reacts to a fresh status: start or stop serving, tell the watchers.
void on_status(sink_actor* self, const replication::node_status& status);

/// sink_leadership.cpp: recomputes the view and tells the watchers if it changed.
void publish_view(sink_actor* self);

/// sink_leadership.cpp: starts the store on the applied state; `done` runs once it runs.
void start_store(sink_actor* self, std::function<void(caf::error)> done);

} // namespace ooo::storage::cluster::detail

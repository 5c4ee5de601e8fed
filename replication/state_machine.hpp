#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "caf/error.hpp"
#include "caf/expected.hpp"
#include "caf/meta/type_name.hpp"

namespace ooo::storage::replication {

/// Opaque entry and snapshot bytes. CAF serializes `std::vector<char>` as one byte buffer.
using bytes = std::vector<char>;

/// One committed command, as the state machine sees it.
struct committed_entry {
  /// The entry's Raft index: the same entry has the same index on every node, and indexes
  /// grow in log order. Not gapless: barriers and configuration changes take indexes too.
  uint64_t index = 0;
  /// The proposer's bytes; valid only during the call.
  const char* data = nullptr;
  size_t size = 0;
  /// The ticket `raft_node::propose` returned if this node proposed the entry and the
  /// proposal is still waiting for it; 0 otherwise (proposed elsewhere, or after a
  /// leadership change, when the proposer already got `leadership_lost`).
  uint64_t ticket = 0;
};

/// A snapshot as a state machine produces it: one or more chunks, stored and sent as their
/// concatenation. Several chunks avoid copying a file set into one buffer; the state machine
/// frames them itself, because a restore receives the concatenation as one buffer.
struct snapshot_image {
  std::vector<bytes> chunks;

  /// The total size of the chunks.
  size_t size() const {
    size_t n = 0;
    for (auto& chunk : chunks)
      n += chunk.size();
    return n;
  }
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, snapshot_image& x) {
  return f(caf::meta::type_name("ooo::storage::replication::snapshot_image"), x.chunks);
}

/// What libraft replicates: the application's state, changed only by committed entries.
///
/// Determinism is the whole contract: every node applies the same entries in the same order,
/// so `apply` must compute its effect from the entry's bytes and the current state alone
/// (no clock, no randomness, no local configuration), and must not fail for a reason that
/// another node would not share. A refusal that belongs to the application (a lost
/// compare-and-set) is an outcome, not a failure: apply it as a no-op and report it.
///
/// Idempotence by index: a state machine that persists its state itself (a RocksDB store)
/// stores the index of the last entry it applied atomically with the entry's effect. After a
/// restart, libraft hands it the latest snapshot and then every committed entry after the
/// snapshot's index again: it skips entries whose index it already applied, and a `restore`
/// of a snapshot older than its own state is a no-op. A state machine in memory only starts
/// empty and needs neither.
class state_machine {
public:
  virtual ~state_machine() = default;

  /// Applies one committed command. Runs on the group's loop thread, in log order, once per
  /// entry per process lifetime; must not block for long (it delays heartbeats). The bytes
  /// returned reach the proposer on this node with the entry's index (see
  /// `raft_node::propose`); return nothing when no one waits for an outcome.
  virtual bytes apply(const committed_entry& entry) = 0;

  /// Produces a snapshot that reflects at least every entry up to `index` (more is allowed:
  /// `restore` and `apply` skip what the state already holds). `index` may be that of a
  /// barrier or configuration entry, which the state machine never sees: the position the
  /// snapshot records is the larger of `index` and the last index the state applied. Runs on
  /// a worker thread, while `apply` keeps running on the loop thread: synchronise what the
  /// two share.
  virtual caf::expected<snapshot_image> snapshot(uint64_t index) = 0;

  /// Replaces the state with a snapshot's content (the concatenated chunks) covering every
  /// entry up to `index`. Runs on the loop thread, at start-up (the node's own latest
  /// snapshot) and when the leader sends a snapshot to a node that lags behind the log.
  /// An error makes the start fail, or the leader retry later.
  virtual caf::error restore(uint64_t index, bytes image) = 0;
};

} // namespace ooo::storage::replication

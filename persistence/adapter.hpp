#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "caf/error.hpp"

#include "messages/object.hpp"

namespace ooo::storage {

/// How far a write has gone when the store answers it.
enum class durability : uint8_t {
  /// No persistence at all: the store lives in memory only.
  memory,
  /// In RocksDB's write-ahead log, not fsynced: survives a crash of the process, not a power
  /// loss (RocksDB's `WriteOptions::sync = false`).
  async,
  /// In the write-ahead log and fsynced: survives a power loss (`WriteOptions::sync = true`).
  sync,
};

const char* to_string(durability x);

/// Parses `memory`, `async` or `sync`; returns false otherwise.
bool from_string(const std::string& name, durability& x);

/// The unit of each change of `batch` (whose revisions are assigned): the revision of the last
/// change of the atomic change it belongs to, following `change::unit_continues`.
std::vector<uint64_t> unit_ends(const std::vector<change>& batch);

/// The persistent layer behind the store (the seed's `Adapter`). Only the persistence actor
/// calls it, from one thread at a time, so implementations need no locking of their own.
class adapter {
public:
  virtual ~adapter();

  /// Applies `batch` atomically: after a crash either every change of it is on disk or none.
  /// `last_revision` (the revision of the batch's last change) is stored in the same batch.
  /// Returns an error of category `error_category` (`persistence_failed`) on failure, in which
  /// case nothing of the batch was applied.
  virtual caf::error write(const std::vector<change>& batch, uint64_t last_revision) = 0;

  /// Reads every record, calling `sink` once per key, then sets `last_revision` to the stored
  /// revision counter (0 for an empty store). A record that does not decode fails with
  /// `corrupt_record` naming the key; the load stops there.
  virtual caf::error load(const std::function<void(object&&)>& sink,
                          uint64_t& last_revision) = 0;

  /// Keeps, from now on, the events of visible changes of the last `revisions` revisions, and
  /// of those at most `bytes` (the oldest go first), so that subscribers can resume across a
  /// restart (0 revisions: keep none). The default keeps none.
  virtual void retain_history(uint64_t revisions, uint64_t bytes);

  /// Calls `sink` for every retained event, oldest first, and sets `compacted`: every visible
  /// change after it is among them. The default has none (`compacted` = `last_revision`).
  virtual caf::error load_history(const std::function<void(event&&)>& sink, uint64_t last_revision,
                                  uint64_t& compacted);

  /// Adds the layer's own gauges and counters to `out`, by name (for `stats` and metrics). The
  /// default adds none.
  virtual void gauges(std::map<std::string, uint64_t>& out);

  /// Flushes and releases what the layer holds (a database's directory), so that another
  /// process may open it; `write` and `load` fail until `reopen`. The default does nothing.
  virtual caf::error close();

  /// Opens what `close` released, for a store that starts again; nothing if it is open. The
  /// default does nothing.
  virtual caf::error reopen();

  // -- in a replicated group (cluster/) ------------------------------------------------------

  /// Like `write`, and stores `position` (the group's applied state: Raft index, epoch, ...;
  /// opaque bytes here) in the same atomic batch, so that after a crash the layer knows how far
  /// into the group's log its content goes. The default fails (`persistence_failed`).
  virtual caf::error write_replicated(const std::vector<change>& batch, uint64_t last_revision,
                                      const std::string& position);

  /// The `position` of the latest `write_replicated`; empty if there was none. The default
  /// fails (`persistence_failed`).
  virtual caf::error replicated_position(std::string& position);

  /// Writes a consistent copy of everything stored (records, history, position) into `dir`,
  /// which must not exist yet; opening an adapter on `dir` later gives exactly that state. The
  /// default fails (`persistence_failed`).
  virtual caf::error checkpoint(const std::string& dir);
};

} // namespace ooo::storage

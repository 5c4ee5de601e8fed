#pragma once

#include <deque>
#include <memory>
#include <string>
#include <string_view>

#include "caf/error.hpp"
#include "caf/expected.hpp"

#include "persistence/adapter.hpp"

namespace rocksdb {
class DB;
} // namespace rocksdb

namespace ooo::storage {

/// Stores one RocksDB record per key (value format: `record_codec.hpp`) plus one metadata record
/// holding the revision counter, written in the same `WriteBatch` as the changes it counts.
class rocksdb_adapter : public adapter {
public:
  /// The key of the metadata record. Every valid store key starts with `[A-Za-z0-9]`, so a key
  /// starting with a NUL byte can never collide with one (and sorts before all of them).
  static constexpr std::string_view meta_key{"\0meta", 5};

  /// Opens (and creates, if missing) the database in directory `dir`. `mode` decides
  /// `WriteOptions::sync` for every write: `sync` fsyncs the write-ahead log before `write`
  /// returns, `async` (and `memory`, which the store never opens an adapter for) leaves it in
  /// the OS page cache, surviving a crash of the process but not a power loss.
  /// Fails with `persistence_failed` naming `dir` and RocksDB's status, immediately (no wait)
  /// if another process or another adapter in this process holds the directory.
  static caf::expected<std::unique_ptr<adapter>> open(const std::string& dir, durability mode);

  /// Closes the database (see `close`).
  ~rocksdb_adapter() override;

  rocksdb_adapter(const rocksdb_adapter&) = delete;
  rocksdb_adapter& operator=(const rocksdb_adapter&) = delete;

  /// Writes every change plus the metadata record (`last_revision`) as one atomic `WriteBatch`.
  /// A key that breaks the key rules is refused (`persistence_failed`) before anything is
  /// written, so no change can overwrite the metadata record.
  caf::error write(const std::vector<change>& batch, uint64_t last_revision) override;

  /// Scans every record in key order without filling the block cache. `last_revision` becomes
  /// the larger of the metadata record and the highest record revision: both are written in
  /// one batch, so they agree on an intact database, and taking the maximum guarantees that a
  /// revision is never handed out twice even if the metadata record were lost or stale.
  /// A record that does not decode or whose key breaks the key rules stops the scan with
  /// `corrupt_record`, e.g. `record 'users/1' in ./data: truncated value`.
  caf::error load(const std::function<void(object&&)>& sink, uint64_t& last_revision) override;

  /// History entries live under `history_prefix` + the revision as 8 big-endian bytes, which
  /// sorts them by revision and apart from every store key (those start with [A-Za-z0-9]).
  /// Each batch writes the entries of its visible changes and deletes those that fall out of
  /// the window (by count, or the oldest while the entries' bytes exceed the bound), in the
  /// same atomic write; a trim by bytes also records how far it went (`trim_key`), so that a
  /// restart knows which resume points are gone.
  void retain_history(uint64_t revisions, uint64_t bytes) override;

  caf::error load_history(const std::function<void(event&&)>& sink, uint64_t last_revision,
                          uint64_t& compacted) override;

  /// The key of the record holding the revision through which the history was trimmed by size.
  static constexpr std::string_view trim_key{"\0trim", 5};

  /// RocksDB's properties that tell whether the disk keeps up: running compactions and
  /// flushes, pending compaction bytes, the delayed write rate and stop flag, the stall
  /// counts since open, memtable and SST sizes, the estimated key count.
  void gauges(std::map<std::string, uint64_t>& out) override;

  static constexpr char history_prefix = '\x01';

  /// Syncs the write-ahead log (relevant in `async` mode) and closes the database, releasing
  /// its lock on the directory. Later calls of `write` or `load` fail with
  /// `persistence_failed` until `reopen`; calling `close` again does nothing.
  caf::error close() override;

  /// Opens the database in the same directory again after `close`.
  caf::error reopen() override;

  /// The key of the record holding a replicated group's position (`write_replicated`).
  static constexpr std::string_view position_key{"\0rpos", 5};

  /// `write` plus the position record, in the same `WriteBatch`.
  caf::error write_replicated(const std::vector<change>& batch, uint64_t last_revision,
                              const std::string& position) override;

  caf::error replicated_position(std::string& position) override;

  /// A RocksDB checkpoint (hard links to the immutable SST files where the file system allows,
  /// copies otherwise), after flushing the memtable so that it holds no write-ahead log.
  caf::error checkpoint(const std::string& dir) override;

  /// The data directory.
  const std::string& dir() const noexcept {
    return dir_;
  }

  /// The durability this adapter writes with.
  durability mode() const noexcept {
    return mode_;
  }

private:
  rocksdb_adapter(std::string dir, durability mode, rocksdb::DB* db);

  /// `write`, plus the position record when `position` is not null.
  caf::error write_batch(const std::vector<change>& batch, uint64_t last_revision,
                         const std::string* position);

  std::string dir_;
  durability mode_;
  std::unique_ptr<rocksdb::DB> db_;
  /// Revisions of history to keep, and bytes (see `retain_history`).
  uint64_t history_ = 0;
  uint64_t history_bytes_ = 0;
  /// The retained entries (revision, size in bytes), oldest first, and their total size; known
  /// after `load_history`.
  std::deque<std::pair<uint64_t, uint64_t>> retained_;
  uint64_t retained_bytes_ = 0;
  /// Every history entry through this revision was trimmed for size.
  uint64_t trimmed_ = 0;
};

} // namespace ooo::storage

#include "persistence/rocksdb_adapter.hpp"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <system_error>

#include <rocksdb/db.h>
#include <rocksdb/iterator.h>
#include <rocksdb/options.h>
#include <rocksdb/utilities/checkpoint.h>
#include <rocksdb/write_batch.h>

#include "messages/errc.hpp"
#include "messages/key.hpp"
#include "persistence/record_codec.hpp"

namespace ooo::storage {

namespace {

/// The RocksDB key of the history entry of `revision`.
std::string history_key(uint64_t revision) {
  std::string key(9, rocksdb_adapter::history_prefix);
  for (size_t i = 8; i > 0; --i, revision >>= 8)
    key[i] = static_cast<char>(revision & 0xff);
  return key;
}

rocksdb::Slice to_slice(std::string_view x) {
  return rocksdb::Slice{x.data(), x.size()};
}

std::string_view to_view(const rocksdb::Slice& x) {
  return std::string_view{x.data(), x.size()};
}

caf::error failed(std::string detail) {
  return make_error(errc::persistence_failed, std::move(detail));
}

/// Inserts ` in <dir>` after the first `prefix_size` characters of the detail of `err`, which
/// the codec starts with `record '<key>'` or `metadata record`.
caf::error in_dir(const caf::error& err, size_t prefix_size, const std::string& dir) {
  auto& ctx = err.context();
  if (ctx.size() != 1 || !ctx.match_element<std::string>(0))
    return err;
  auto detail = ctx.get_as<std::string>(0);
  detail.insert(std::min(prefix_size, detail.size()), " in " + dir);
  return make_error(static_cast<errc>(err.code()), std::move(detail));
}

/// Who holds the directory's LOCK file, as far as RocksDB's status tells.
enum class lock_holder { none, this_process, other_process };

/// RocksDB reports "lock hold by current process" for a second open in the same process and
/// "While lock file: <dir>/LOCK: Resource temporarily unavailable" when another process holds
/// it (fcntl F_SETLK: it never waits).
lock_holder lock_conflict(const rocksdb::Status& status) {
  if (!status.IsIOError())
    return lock_holder::none;
  auto text = status.ToString();
  if (text.find("lock hold by current process") != std::string::npos)
    return lock_holder::this_process;
  if (text.find("lock") != std::string::npos || text.find("LOCK") != std::string::npos)
    return lock_holder::other_process;
  return lock_holder::none;
}

} // namespace

rocksdb_adapter::rocksdb_adapter(std::string dir, durability mode, rocksdb::DB* db)
  : dir_(std::move(dir)), mode_(mode), db_(db) {
  // nop
}

rocksdb_adapter::~rocksdb_adapter() {
  // A destructor cannot report: whoever cares about a failed close calls close() first.
  static_cast<void>(close());
}

namespace {

/// Opens (and creates) the database in `dir`, naming the directory in every failure.
caf::expected<rocksdb::DB*> open_db(const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec)
    return failed("cannot create data directory " + dir + ": " + ec.message());
  rocksdb::Options options;
  options.create_if_missing = true;
  // RocksDB's info logs (LOG, LOG.old.*) otherwise pile up to 1000 files in the directory.
  options.keep_log_file_num = 5;
  rocksdb::DB* db = nullptr;
  auto status = rocksdb::DB::Open(options, dir, &db);
  if (!status.ok()) {
    delete db;
    switch (lock_conflict(status)) {
      case lock_holder::this_process:
        return failed("data directory " + dir + " is in use by this process already ("
                      + status.ToString() + ")");
      case lock_holder::other_process:
        return failed("data directory " + dir + " is in use by another process ("
                      + status.ToString() + ")");
      default:
        break;
    }
    return failed("cannot open data directory " + dir + ": " + status.ToString());
  }
  return db;
}

} // namespace

caf::expected<std::unique_ptr<adapter>> rocksdb_adapter::open(const std::string& dir,
                                                              durability mode) {
  auto db = open_db(dir);
  if (!db)
    return db.error();
  return std::unique_ptr<adapter>{new rocksdb_adapter(dir, mode, *db)};
}

caf::error rocksdb_adapter::reopen() {
  if (db_)
    return caf::none;
  auto db = open_db(dir_);
  if (!db)
    return db.error();
  db_.reset(*db);
  return caf::none;
}

caf::error rocksdb_adapter::write(const std::vector<change>& batch, uint64_t last_revision) {
  return write_batch(batch, last_revision, nullptr);
}

caf::error rocksdb_adapter::write_replicated(const std::vector<change>& batch,
                                             uint64_t last_revision,
                                             const std::string& position) {
  return write_batch(batch, last_revision, &position);
}

caf::error rocksdb_adapter::replicated_position(std::string& position) {
  if (!db_)
    return failed("data directory " + dir_ + " is closed");
  auto status = db_->Get(rocksdb::ReadOptions{}, to_slice(position_key), &position);
  if (status.IsNotFound()) {
    position.clear();
    return caf::none;
  }
  if (!status.ok())
    return failed("reading the replication position in " + dir_ + " failed: "
                  + status.ToString());
  return caf::none;
}

caf::error rocksdb_adapter::checkpoint(const std::string& dir) {
  if (!db_)
    return failed("data directory " + dir_ + " is closed");
  rocksdb::Checkpoint* raw = nullptr;
  auto status = rocksdb::Checkpoint::Create(db_.get(), &raw);
  std::unique_ptr<rocksdb::Checkpoint> cp{raw};
  // A log size of 0 flushes the memtable first: the checkpoint is SST files only.
  if (status.ok())
    status = cp->CreateCheckpoint(dir, 0);
  if (!status.ok())
    return failed("checkpoint of " + dir_ + " into " + dir + " failed: " + status.ToString());
  return caf::none;
}

caf::error rocksdb_adapter::write_batch(const std::vector<change>& batch, uint64_t last_revision,
                                        const std::string* position) {
  if (!db_)
    return failed("data directory " + dir_ + " is closed");
  rocksdb::WriteBatch wb;
  for (auto& x : batch) {
    if (check_key(x.key) != errc::none)
      return failed("refusing to write invalid key '" + printable_key(x.key) + "' to " + dir_);
    auto status = x.put ? wb.Put(to_slice(x.key), encode_record(x.value))
                        : wb.Delete(to_slice(x.key));
    if (!status.ok())
      return failed("cannot batch key '" + x.key + "' for " + dir_ + ": " + status.ToString());
  }
  // The history: this batch's visible changes go in; what falls out of the window by count or
  // by size goes out, in the same write. The bookkeeping changes only once the write succeeded.
  auto retained = retained_;
  auto retained_bytes = retained_bytes_;
  auto trimmed = trimmed_;
  if (history_ > 0) {
    auto units = unit_ends(batch);
    for (size_t i = 0; i < batch.size(); ++i) {
      auto& x = batch[i];
      auto revision = x.value.revision;
      if (x.visible) {
        auto entry = encode_history(x, units[i]);
        if (!wb.Put(history_key(revision), entry).ok())
          return failed("cannot batch history record " + std::to_string(revision) + " for "
                        + dir_);
        retained.emplace_back(revision, entry.size());
        retained_bytes += entry.size();
      }
      if (revision > history_ && !wb.Delete(history_key(revision - history_)).ok())
        return failed("cannot batch history trim for " + dir_);
      while (!retained.empty() && retained.front().first + history_ <= revision) {
        retained_bytes -= retained.front().second;
        retained.pop_front();
      }
    }
    auto trimmed_before = trimmed;
    while (!retained.empty() && retained_bytes > history_bytes_) {
      trimmed = retained.front().first;
      retained_bytes -= retained.front().second;
      if (!wb.Delete(history_key(trimmed)).ok())
        return failed("cannot batch history trim for " + dir_);
      retained.pop_front();
    }
    if (trimmed != trimmed_before && !wb.Put(to_slice(trim_key), encode_meta(trimmed)).ok())
      return failed("cannot batch the history trim record for " + dir_);
  }
  auto status = wb.Put(to_slice(meta_key), encode_meta(last_revision));
  if (status.ok() && position != nullptr)
    status = wb.Put(to_slice(position_key), *position);
  if (!status.ok())
    return failed("cannot batch the metadata record for " + dir_ + ": " + status.ToString());
  rocksdb::WriteOptions options;
  options.sync = mode_ == durability::sync;
  status = db_->Write(options, &wb);
  if (!status.ok())
    return failed("write of " + std::to_string(batch.size()) + " change(s) to " + dir_
                  + " failed: " + status.ToString());
  retained_ = std::move(retained);
  retained_bytes_ = retained_bytes;
  trimmed_ = trimmed;
  return caf::none;
}

void rocksdb_adapter::gauges(std::map<std::string, uint64_t>& out) {
  if (!db_)
    return;
  // Integer properties: gauges of the moment.
  for (auto* name : {"rocksdb.num-running-compactions", "rocksdb.num-running-flushes",
                     "rocksdb.compaction-pending", "rocksdb.estimate-pending-compaction-bytes",
                     "rocksdb.actual-delayed-write-rate", "rocksdb.is-write-stopped",
                     "rocksdb.cur-size-all-mem-tables", "rocksdb.total-sst-files-size",
                     "rocksdb.estimate-num-keys"}) {
    uint64_t value = 0;
    if (db_->GetIntProperty(name, &value))
      out[name] = value;
  }
  // Write stalls since the database opened: RocksDB counts them only in its column family
  // statistics map.
  std::map<std::string, std::string> cf;
  if (db_->GetMapProperty(rocksdb::DB::Properties::kCFStats, &cf)) {
    for (auto* name : {"io_stalls.total_stop", "io_stalls.total_slowdown"}) {
      auto i = cf.find(name);
      if (i != cf.end())
        out[std::string{"rocksdb."} + name] = std::strtoull(i->second.c_str(), nullptr, 10);
    }
  }
}

caf::error rocksdb_adapter::load(const std::function<void(object&&)>& sink,
                                 uint64_t& last_revision) {
  if (!db_)
    return failed("data directory " + dir_ + " is closed");
  rocksdb::ReadOptions options;
  options.fill_cache = false;
  options.readahead_size = 2 * 1024 * 1024;
  std::unique_ptr<rocksdb::Iterator> it{db_->NewIterator(options)};
  uint64_t meta_revision = 0;
  uint64_t max_record_revision = 0;
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    auto key = to_view(it->key());
    if (key == meta_key) {
      auto revision = decode_meta(to_view(it->value()));
      if (!revision)
        return in_dir(revision.error(), std::string_view{"metadata record"}.size(), dir_);
      meta_revision = *revision;
      continue;
    }
    if (key == trim_key) {
      auto revision = decode_meta(to_view(it->value()));
      if (!revision)
        return in_dir(revision.error(), std::string_view{"metadata record"}.size(), dir_);
      trimmed_ = *revision;
      continue;
    }
    if ((!key.empty() && key.front() == history_prefix) || key == position_key)
      continue;
    auto prefix_size = std::string_view{"record ''"}.size() + printable_key(key).size();
    if (check_key(key) != errc::none)
      return make_error(errc::corrupt_record, "record '" + printable_key(key) + "' in " + dir_
                                                + ": not a valid key");
    auto record = decode_record(key, to_view(it->value()));
    if (!record)
      return in_dir(record.error(), prefix_size, dir_);
    max_record_revision = std::max(max_record_revision, record->revision);
    sink(std::move(*record));
  }
  auto status = it->status();
  if (!status.ok())
    return failed("reading data directory " + dir_ + " failed: " + status.ToString());
  last_revision = std::max(meta_revision, max_record_revision);
  return caf::none;
}

void rocksdb_adapter::retain_history(uint64_t revisions, uint64_t bytes) {
  history_ = revisions;
  history_bytes_ = bytes;
}

caf::error rocksdb_adapter::load_history(const std::function<void(event&&)>& sink,
                                         uint64_t last_revision, uint64_t& compacted) {
  if (!db_)
    return failed("data directory " + dir_ + " is closed");
  // What may be gone: older than the window, or trimmed for size.
  compacted = std::max(last_revision > history_ ? last_revision - history_ : uint64_t{0},
                       trimmed_);
  rocksdb::ReadOptions options;
  options.fill_cache = false;
  auto each_entry = [&](auto&& f) -> caf::error {
    std::unique_ptr<rocksdb::Iterator> it{db_->NewIterator(options)};
    for (it->Seek(rocksdb::Slice{&history_prefix, 1});
         it->Valid() && it->key().size() > 0 && it->key()[0] == history_prefix; it->Next()) {
      auto key = to_view(it->key());
      if (key.size() != 9)
        return make_error(errc::corrupt_record, "history key '" + printable_key(key) + "' in "
                                                  + dir_ + ": not 9 bytes");
      uint64_t revision = 0;
      for (size_t i = 1; i < 9; ++i)
        revision = (revision << 8) | static_cast<unsigned char>(key[i]);
      if (auto err = f(revision, to_view(it->value())))
        return err;
    }
    auto status = it->status();
    if (!status.ok())
      return failed("reading the history in " + dir_ + " failed: " + status.ToString());
    return caf::none;
  };
  // First the sizes: what exceeds the bounds (entries of an earlier run with a larger window)
  // goes now, so that only what is retained is loaded.
  std::vector<std::pair<uint64_t, uint64_t>> entries;
  auto err = each_entry([&](uint64_t revision, std::string_view value) -> caf::error {
    entries.emplace_back(revision, value.size());
    return caf::none;
  });
  if (err)
    return err;
  uint64_t bytes = 0;
  for (auto& [revision, size] : entries)
    if (revision > compacted)
      bytes += size;
  rocksdb::WriteBatch stale;
  retained_.clear();
  for (auto& [revision, size] : entries) {
    if (revision > compacted && (history_bytes_ == 0 || bytes <= history_bytes_)) {
      retained_.emplace_back(revision, size);
      continue;
    }
    if (revision > compacted) {
      bytes -= size;
      compacted = revision;
      trimmed_ = revision;
    }
    stale.Delete(history_key(revision));
  }
  retained_bytes_ = bytes;
  if (stale.Count() > 0) {
    stale.Put(to_slice(trim_key), encode_meta(trimmed_));
    auto status = db_->Write(rocksdb::WriteOptions{}, &stale);
    if (!status.ok())
      return failed("trimming the history in " + dir_ + " failed: " + status.ToString());
  }
  return each_entry([&](uint64_t revision, std::string_view value) -> caf::error {
    if (revision <= compacted)
      return caf::none;
    auto ev = decode_history(revision, value);
    if (!ev)
      return make_error(errc::corrupt_record, render(ev.error()) + " in " + dir_);
    sink(std::move(*ev));
    return caf::none;
  });
}

caf::error rocksdb_adapter::close() {
  if (!db_)
    return caf::none;
  caf::error result;
  // In sync mode every write is fsynced already; in async mode this makes a clean shutdown
  // as durable as sync mode.
  if (mode_ != durability::sync) {
    auto status = db_->FlushWAL(true);
    if (!status.ok())
      result = failed("syncing the write-ahead log of " + dir_
                      + " failed: " + status.ToString());
  }
  auto status = db_->Close();
  if (!status.ok() && !result)
    result = failed("closing data directory " + dir_ + " failed: " + status.ToString());
  db_.reset();
  return result;
}

} // namespace ooo::storage

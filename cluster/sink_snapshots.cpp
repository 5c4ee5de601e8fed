#include <filesystem>
#include <system_error>

#include <spdlog/spdlog.h>

#include "caf/send.hpp"

#include "actors/replica_protocol.hpp"
#include "cluster/detail/sink_state.hpp"
#include "messages/errc.hpp"
#include "messages/key.hpp"
#include "replication/file_set.hpp"

// Snapshots of a group's state: a RocksDB checkpoint as a file set, and its restore into a
// node whose store may be running (see spawn_replica_sink).
namespace ooo::storage::cluster::detail {

namespace fs = std::filesystem;

namespace {

caf::error failed(std::string what) {
  return make_error(errc::persistence_failed, std::move(what));
}

/// What a restored RocksDB holds, read once for the store.
struct restored_state {
  std::vector<std::vector<object>> parts;
  std::vector<event> history;
  uint64_t compacted = 0;
};

/// The store ran on the state before the snapshot: it gets every change between its revision
/// and the snapshot's, from the snapshot's retained history (so that subscribers here miss
/// nothing that is retained), then the snapshot's content for each shard (which also covers
/// what the history does not show: silent deletes, keys without events).
void catch_up(sink_actor* self, uint64_t old_revision, restored_state& state) {
  auto& st = self->state;
  auto n = st.shards.size();
  if (n == 0)
    return;
  auto new_revision = st.position.revision;
  std::vector<std::vector<change>> parts(n);
  std::vector<std::vector<uint64_t>> units(n);
  std::vector<uint64_t> hidden;
  auto next = old_revision + 1;
  for (auto& ev : state.history) {
    if (ev.revision <= old_revision || ev.revision > new_revision)
      continue;
    for (; next < ev.revision; ++next)
      hidden.push_back(next);
    next = ev.revision + 1;
    change ch;
    ch.key = ev.key;
    ch.put = ev.op == event_op::set;
    if (ev.value)
      ch.value = *ev.value;
    ch.value.path = ev.key;
    ch.value.revision = ev.revision;
    auto k = shard_of(ev.key, n);
    parts[k].emplace_back(std::move(ch));
    units[k].push_back(std::max(ev.unit, ev.revision));
  }
  for (; next <= new_revision; ++next)
    hidden.push_back(next);
  if (state.compacted > old_revision)
    spdlog::warn("replica sink: the snapshot's history starts after revision {}, this node was "
                 "at {}: subscribers here miss the changes in between (they resume elsewhere "
                 "or from {})",
                 state.compacted, old_revision, state.compacted);
  for (size_t k = 0; k < n; ++k) {
    std::vector<uint64_t> shard_hidden;
    if (k == 0)
      shard_hidden = std::move(hidden);
    if (!parts[k].empty() || !shard_hidden.empty())
      to_shard(self, k,
               caf::make_message(replica_apply_atom::value, std::move(parts[k]),
                                 std::move(units[k]), std::move(shard_hidden)));
  }
  for (size_t k = 0; k < n; ++k)
    to_shard(self, k, caf::make_message(load_atom::value, std::move(state.parts[k])));
  // Resume points before the snapshot's history are gone here now.
  if (state.compacted > old_revision && st.event_log)
    caf::anon_send(st.event_log, load_atom::value, std::vector<event>{}, state.compacted);
}

} // namespace

caf::expected<replication::snapshot_image> take_snapshot(sink_actor* self) {
  auto& st = self->state;
  auto dir = st.cfg.store_dir + ".snapshot";
  std::error_code ec;
  fs::remove_all(dir, ec);
  if (auto err = st.disk->checkpoint(dir))
    return err;
  auto image = replication::pack_files(dir);
  fs::remove_all(dir, ec);
  return image;
}

caf::error restore_snapshot(sink_actor* self, uint64_t index, const std::vector<char>& image) {
  auto& st = self->state;
  // Older than what this node applied (its own latest snapshot, at a restart): nothing to do.
  if (index <= st.position.index)
    return caf::none;
  auto live = st.cfg.store_dir;
  auto fresh = live + ".restore";
  auto old = live + ".old";
  std::error_code ec;
  fs::remove_all(fresh, ec);
  fs::remove_all(old, ec);
  if (auto err = replication::unpack_files(image, fresh))
    return err;
  // RocksDB holds a lock on its directory: close it before the swap.
  if (auto err = st.disk->close())
    return err;
  st.disk.reset();
  fs::rename(live, old, ec);
  if (!ec)
    fs::rename(fresh, live, ec);
  if (ec)
    return failed("cannot put the snapshot in place of " + live + ": " + ec.message());
  fs::remove_all(old, ec);
  auto opened = st.cfg.open(live);
  if (!opened)
    return opened.error();
  st.disk = std::move(*opened);
  st.disk->retain_history(st.cfg.history_events, st.cfg.history_bytes);
  std::string stored;
  if (auto err = st.disk->replicated_position(stored))
    return err;
  auto position = decode_position(stored);
  if (!position)
    return position.error();
  auto old_revision = st.position.revision;
  restored_state state;
  auto n = st.shards.empty() ? size_t{1} : st.shards.size();
  state.parts.resize(n);
  uint64_t last = 0;
  auto err = st.disk->load(
    [&](object&& obj) { state.parts[shard_of(obj.path, n)].emplace_back(std::move(obj)); },
    last);
  if (err)
    return err;
  auto keep = [&](event&& ev) { state.history.emplace_back(std::move(ev)); };
  if (auto err = st.disk->load_history(keep, position->revision, state.compacted))
    return err;
  spdlog::info("replica sink: restored a snapshot at index {} (revision {}; was {})",
               position->index, position->revision, old_revision);
  st.position = *position;
  if (st.phase != store_phase::unloaded)
    catch_up(self, old_revision, state);
  if (st.phase == store_phase::live)
    st.cfg.revision->store(st.position.revision);
  publish_view(self);
  return caf::none;
}

} // namespace ooo::storage::cluster::detail

#include <variant>

#include "caf/send.hpp"

#include "actors/replica_protocol.hpp"
#include "cluster/detail/sink_state.hpp"
#include "messages/errc.hpp"
#include "messages/key.hpp"

// Applying committed entries (see spawn_replica_sink): the state machine of a group.
namespace ooo::storage::cluster::detail {

namespace {

/// Writes the position alone (an entry that changed no key still moves it, so that a snapshot
/// or a restart knows it was applied).
caf::error write_position(sink_actor* self) {
  auto& st = self->state;
  return st.disk->write_replicated({}, st.position.revision, encode(st.position));
}

bool is_own(const sink_state& st, const write_entry& entry) {
  return entry.incarnation == st.incarnation && st.proposed.count(entry.proposal) > 0;
}

/// Sends committed changes (revisions assigned, in log order) to the shards that own them.
void forward(sink_actor* self, std::vector<change>& changes) {
  auto& st = self->state;
  if (st.phase == store_phase::unloaded || st.shards.empty())
    return;
  auto units = unit_ends(changes);
  auto n = st.shards.size();
  std::vector<std::vector<change>> parts(n);
  std::vector<std::vector<uint64_t>> part_units(n);
  for (size_t i = 0; i < changes.size(); ++i) {
    auto k = shard_of(changes[i].key, n);
    parts[k].emplace_back(std::move(changes[i]));
    part_units[k].push_back(units[i]);
  }
  for (size_t k = 0; k < n; ++k)
    if (!parts[k].empty())
      to_shard(self, k,
               caf::make_message(replica_apply_atom::value, std::move(parts[k]),
                                 std::move(part_units[k]), std::vector<uint64_t>{}));
}

caf::error apply_leader(sink_actor* self, uint64_t index, leader_entry& entry) {
  auto& st = self->state;
  auto before = st.position;
  st.position.index = index;
  st.position.current = entry.starts;
  st.position.leader_address = std::move(entry.client_address);
  if (auto err = write_position(self)) {
    st.position = before;
    return err;
  }
  publish_view(self);
  return caf::none;
}

caf::error apply_writes(sink_actor* self, uint64_t index, write_entry& entry) {
  auto& st = self->state;
  auto own = is_own(st, entry);
  if (entry.decided_in != st.position.current) {
    // Decided under a leadership that ended before this entry: a later leader may have
    // changed what it was decided on. Every node refuses it alike.
    auto before = st.position.index;
    st.position.index = index;
    if (auto err = write_position(self)) {
      st.position.index = before;
      return err;
    }
    if (own)
      fail_proposal(self, entry.proposal,
                    make_error(errc::not_leader, st.position.leader_address));
    return caf::none;
  }
  size_t total = 0;
  for (auto& commit : entry.commits)
    total += commit.size();
  std::vector<change> changes;
  changes.reserve(total);
  auto first = st.position.revision + 1;
  auto next = first;
  for (auto& commit : entry.commits)
    for (auto& ch : commit) {
      ch.value.revision = next++;
      changes.emplace_back(std::move(ch));
    }
  applied_position after = st.position;
  after.index = index;
  after.revision = next - 1;
  if (auto err = st.disk->write_replicated(changes, after.revision, encode(after)))
    return err;
  st.position = after;
  ++st.stats.batches;
  st.stats.changes += total;
  if (own) {
    // The shards that committed them apply them when they learn their revisions.
    auto waiting = std::move(st.proposed[entry.proposal]);
    st.proposed.erase(entry.proposal);
    for (auto& w : waiting) {
      w.promise.deliver(first);
      first += w.size;
    }
  } else {
    forward(self, changes);
  }
  if (st.phase == store_phase::live)
    st.cfg.revision->store(st.position.revision);
  return caf::none;
}

} // namespace

caf::error apply_entry(sink_actor* self, uint64_t index, const std::vector<char>& payload) {
  auto& st = self->state;
  // libraft hands out every entry after its latest snapshot again when a node restarts.
  if (index <= st.position.index)
    return caf::none;
  auto entry = decode_entry(payload.data(), payload.size());
  if (!entry)
    return entry.error();
  if (auto* leader = std::get_if<leader_entry>(&*entry))
    return apply_leader(self, index, *leader);
  return apply_writes(self, index, std::get<write_entry>(*entry));
}

void to_shard(sink_actor* self, size_t i, caf::message msg) {
  auto& st = self->state;
  switch (st.phase) {
    case store_phase::unloaded:
      return;
    case store_phase::loading:
      st.held.emplace_back(i, std::move(msg));
      return;
    case store_phase::live:
      caf::anon_send(st.shards[i], std::move(msg));
      return;
  }
}

void release_held(sink_actor* self) {
  auto& st = self->state;
  auto held = std::move(st.held);
  st.held.clear();
  for (auto& [i, msg] : held)
    caf::anon_send(st.shards[i], std::move(msg));
}

void fail_proposal(sink_actor* self, uint64_t proposal, const caf::error& err) {
  auto& st = self->state;
  auto i = st.proposed.find(proposal);
  if (i == st.proposed.end())
    return;
  for (auto& w : i->second)
    w.promise.deliver(err);
  st.proposed.erase(i);
}

} // namespace ooo::storage::cluster::detail

#include "cluster/replica_sink.hpp"

#include <random>

#include <spdlog/spdlog.h>

#include "caf/actor_system.hpp"
#include "caf/event_based_actor.hpp"
#include "caf/send.hpp"

#include "actors/replica_protocol.hpp"
#include "cluster/atoms.hpp"
#include "cluster/detail/sink_state.hpp"
#include "messages/errc.hpp"
#include "replication/atoms.hpp"
#include "replication/errc.hpp"
#include "replication/state_machine.hpp"

namespace ooo::storage::cluster {

namespace detail {

caf::error refusal(const sink_state& st) {
  if (st.status.role == replication::node_role::leader)
    return make_error(errc::unavailable, "this node was elected leader and is catching up");
  return make_error(errc::not_leader, st.view.leader_address);
}

namespace {

/// Maps what the replicator answers a proposal with to what the store's client learns.
caf::error proposal_error(const sink_state& st, const caf::error& err) {
  using replication::errc;
  if (replication::is(err, errc::not_leader))
    return make_error(storage::errc::not_leader, st.view.leader_address);
  if (replication::is(err, errc::leadership_lost))
    return make_error(storage::errc::leadership_lost,
                      "this node stopped leading before the write was known to commit");
  if (replication::is(err, errc::too_many_pending) || replication::is(err, errc::shutting_down))
    return make_error(storage::errc::unavailable, replication::render(err));
  return make_error(storage::errc::persistence_failed, replication::render(err));
}

/// Proposes the commits gathered in this mailbox round as one entry.
void flush(sink_actor* self) {
  auto& st = self->state;
  st.flush_scheduled = false;
  if (st.batch.empty())
    return;
  auto batch = std::move(st.batch);
  auto waiting = std::move(st.batch_waiting);
  st.batch.clear();
  st.batch_waiting.clear();
  if (st.serving.empty()) {
    auto err = refusal(st);
    for (auto& w : waiting)
      w.promise.deliver(err);
    return;
  }
  write_entry entry;
  entry.group = st.cfg.group;
  entry.decided_in = st.serving;
  entry.incarnation = st.incarnation;
  entry.proposal = st.next_proposal++;
  entry.commits = std::move(batch);
  auto proposal = entry.proposal;
  st.proposed.emplace(proposal, std::move(waiting));
  // The reply comes after the entry was applied here, which answered the commits already;
  // only a failure is left to report.
  self
    ->request(st.cfg.replicator, caf::infinite, replication::propose_atom::value, st.cfg.group,
              encode(entry))
    .then([](uint64_t) {},
          [self, proposal](caf::error& err) {
            fail_proposal(self, proposal, proposal_error(self->state, err));
            // Not the leader any more, most likely: look now rather than at the next tick.
            poll(self);
          });
}

} // namespace

} // namespace detail

namespace {

using detail::sink_actor;

caf::behavior replica_sink(sink_actor* self, std::shared_ptr<sink_config> cfg) {
  auto& st = self->state;
  st.disk = std::move(cfg->disk);
  st.cfg = std::move(*cfg);
  st.incarnation = std::random_device{}() | (uint64_t{std::random_device{}()} << 32);
  st.disk->retain_history(st.cfg.history_events, st.cfg.history_bytes);
  std::string stored;
  auto err = st.disk->replicated_position(stored);
  auto position = err ? caf::expected<applied_position>{err} : decode_position(stored);
  if (!position) {
    spdlog::error("replica sink: {}", render(position.error()));
    self->quit(position.error());
    return {};
  }
  st.position = *position;
  // The adapter keeps the history's bookkeeping (bounds by bytes) from this scan on.
  uint64_t ignored = 0;
  if (auto err = st.disk->load_history([](event&&) {}, st.position.revision, ignored)) {
    spdlog::error("replica sink: {}", render(err));
    self->quit(err);
    return {};
  }
  st.cfg.revision->store(st.position.revision);
  // The adapter closes (syncing RocksDB's log) when the state goes with the actor.
  self->send(self, tick_atom::value);
  return {
    // -- the store's persistence --------------------------------------------------------------
    [self](commit_atom, std::vector<change>& changes) -> caf::result<uint64_t> {
      auto& st = self->state;
      if (st.serving.empty())
        return detail::refusal(st);
      if (changes.empty())
        return st.position.revision + 1;
      auto rp = self->make_response_promise();
      st.batch_waiting.push_back(detail::waiting_commit{rp, changes.size()});
      st.batch.emplace_back(std::move(changes));
      if (!st.flush_scheduled) {
        st.flush_scheduled = true;
        self->send(self, caf::flush_atom::value);
      }
      return rp;
    },
    [self](caf::flush_atom) { detail::flush(self); },
    [self](load_atom, uint32_t shard_count)
      -> caf::result<std::vector<std::vector<object>>, std::vector<event>, uint64_t> {
      auto& st = self->state;
      std::vector<std::vector<object>> parts(shard_count);
      uint64_t last = 0;
      auto err = st.disk->load(
        [&](object&& obj) { parts[shard_of(obj.path, shard_count)].emplace_back(std::move(obj)); },
        last);
      if (err)
        return err;
      std::vector<event> history;
      uint64_t compacted = 0;
      if (!st.history_given) {
        auto keep = [&](event&& ev) { history.emplace_back(std::move(ev)); };
        if (auto err = st.disk->load_history(keep, st.position.revision, compacted))
          return err;
        st.history_given = true;
      }
      // What is applied from here on waits until the shards have loaded this.
      st.phase = detail::store_phase::loading;
      st.cfg.revision->store(st.position.revision);
      return caf::make_result(std::move(parts), std::move(history), compacted);
    },
    [self](stats_atom) {
      auto result = self->state.stats;
      self->state.disk->gauges(result.gauges);
      return result;
    },
    [](caf::close_atom) {
      // The group keeps applying while the store is closed: RocksDB stays open.
    },
    // -- the replicator's sink ----------------------------------------------------------------
    [self](replication::committed_atom, replication::group_id, uint64_t index,
           std::vector<char>& payload) -> caf::result<void> {
      if (auto err = detail::apply_entry(self, index, payload)) {
        spdlog::error("replica sink: entry {} not applied: {}", index, render(err));
        return err;
      }
      return caf::unit;
    },
    [self](replication::take_snapshot_atom, replication::group_id,
           uint64_t) -> caf::result<replication::snapshot_image> {
      auto image = detail::take_snapshot(self);
      if (!image)
        return image.error();
      return std::move(*image);
    },
    [self](replication::restore_snapshot_atom, replication::group_id, uint64_t index,
           std::vector<char>& image) -> caf::result<void> {
      if (auto err = detail::restore_snapshot(self, index, image))
        return err;
      return caf::unit;
    },
    // -- wiring -------------------------------------------------------------------------------
    [self](replica_attach_atom, std::vector<caf::actor>& shards, caf::actor& log,
           caf::actor& store) {
      auto& st = self->state;
      st.shards = std::move(shards);
      st.event_log = std::move(log);
      st.store = std::move(store);
    },
    [self](start_store_atom) -> caf::result<void> {
      auto& st = self->state;
      if (st.phase == detail::store_phase::live)
        return caf::unit;
      auto rp = self->make_response_promise();
      st.start_waiters.push_back(rp);
      if (!st.starting)
        detail::start_store(self, [](caf::error) {});
      return rp;
    },
    [self](client_address_atom, std::string& address) {
      self->state.client_address = std::move(address);
      detail::publish_view(self);
    },
    [self](watch_view_atom, caf::actor& watcher) {
      self->send(watcher, view_atom::value, self->state.view);
      self->state.view_watchers.push_back(std::move(watcher));
    },
    [self](tick_atom) {
      detail::poll(self);
      self->delayed_send(self, std::chrono::milliseconds{100}, tick_atom::value);
    },
  };
}

} // namespace

caf::actor spawn_replica_sink(caf::actor_system& sys, sink_config cfg) {
  // Spawn arguments must be copyable; the sink is the adapter's only owner all the same.
  return sys.spawn<caf::detached>(replica_sink, std::make_shared<sink_config>(std::move(cfg)));
}

} // namespace ooo::storage::cluster

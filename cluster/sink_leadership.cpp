#include <chrono>

#include <spdlog/spdlog.h>

#include "caf/send.hpp"

#include "actors/replica_protocol.hpp"
#include "cluster/atoms.hpp"
#include "cluster/detail/sink_state.hpp"
#include "messages/atoms.hpp"
#include "messages/errc.hpp"
#include "replication/atoms.hpp"
#include "replication/errc.hpp"

// Taking up and giving up leadership (see spawn_replica_sink).
//
// A node that becomes leader must not let anything decided before it caught up reach the log
// under its new leadership. Closing the store drains every decision in flight (the shards
// answer `close` once no write is queued or in flight, the router once no glob delete runs),
// and a commit arriving meanwhile is refused. The `leader_entry` then marks the point in the
// log after which only this leadership's decisions apply; the store restarts on the state that
// includes everything before it; and only then does the node serve.
namespace ooo::storage::cluster::detail {

namespace {

using namespace std::chrono_literals;

/// How long the store may take to close (it answers what it holds first) or to start (it
/// loads every key).
constexpr auto store_timeout = 10min;
/// How long a leader entry may take to commit before the attempt is given up (the next poll
/// tries again if this node still leads).
constexpr auto leader_entry_timeout = 30s;

void end_locks(sink_actor* self) {
  for (auto& shard : self->state.shards)
    caf::anon_send(shard, drop_locks_atom::value);
}

void stop_serving(sink_actor* self) {
  auto& st = self->state;
  spdlog::info("replica sink: no longer serving (leadership of term {} ended)", st.serving.term);
  st.serving = epoch{};
  // Queued for the next proposal: it will not be made. Proposed: the replicator answers.
  auto err = refusal(st);
  for (auto& w : st.batch_waiting)
    w.promise.deliver(err);
  st.batch.clear();
  st.batch_waiting.clear();
  // Writers parked behind a lock run (and are refused) instead of waiting for its lease.
  end_locks(self);
}

void finish_taking(sink_actor* self, uint64_t term, bool entry_committed) {
  auto& st = self->state;
  st.taking_term = 0;
  epoch mine{term, st.cfg.node_id};
  if (entry_committed && st.position.current == mine
      && st.status.role == replication::node_role::leader && st.status.term == term) {
    st.serving = mine;
    spdlog::info("replica sink: serving as leader of term {} from index {}, revision {}", term,
                 st.position.index, st.position.revision);
  }
  publish_view(self);
  poll(self);
}

void take_leadership(sink_actor* self, uint64_t term) {
  auto& st = self->state;
  st.taking_term = term;
  spdlog::info("replica sink: elected leader of term {}; draining the store", term);
  auto restart = [self, term](bool committed) {
    start_store(self, [self, term, committed](caf::error err) {
      if (err)
        spdlog::error("replica sink: the store did not start again: {}", render(err));
      finish_taking(self, term, committed && !err);
    });
  };
  auto propose = [self, term, restart] {
    auto& st = self->state;
    end_locks(self);
    st.cfg.lock_tokens->store(term << 32);
    leader_entry entry{st.cfg.group, epoch{term, st.cfg.node_id}, st.client_address};
    self
      ->request(st.cfg.replicator, leader_entry_timeout, replication::propose_atom::value,
                st.cfg.group, encode(entry))
      .then([restart](uint64_t) { restart(true); },
            [restart, term](caf::error& err) {
              spdlog::warn("replica sink: leader entry of term {} failed: {}", term,
                           replication::render(err));
              restart(false);
            });
  };
  self->request(st.store, store_timeout, caf::close_atom::value)
    .then([propose] { propose(); },
          [propose](caf::error& err) {
            spdlog::warn("replica sink: closing the store: {}", render(err));
            propose();
          });
}

} // namespace

void poll(sink_actor* self) {
  auto& st = self->state;
  self->request(st.cfg.replicator, 5s, replication::group_status_atom::value, st.cfg.group)
    .then([self](replication::group_id, replication::node_status& status) {
            on_status(self, status);
          },
          [](caf::error&) {
            // The replicator is busy or the group closed: the next tick looks again.
          });
}

void on_status(sink_actor* self, const replication::node_status& status) {
  auto& st = self->state;
  st.status = status;
  auto leader = status.role == replication::node_role::leader;
  if (!st.serving.empty() && (!leader || status.term != st.serving.term))
    stop_serving(self);
  if (leader && st.serving.empty() && st.taking_term == 0 && st.phase == store_phase::live
      && st.store && !st.client_address.empty())
    take_leadership(self, status.term);
  publish_view(self);
}

void publish_view(sink_actor* self) {
  auto& st = self->state;
  group_view view;
  view.role = st.status.role;
  view.term = st.status.term;
  view.serving = !st.serving.empty();
  if (view.serving)
    view.leader_address = st.client_address;
  else if (st.status.leader_id != 0 && st.status.leader_id == st.position.current.node)
    view.leader_address = st.position.leader_address;
  if (view == st.view)
    return;
  st.view = view;
  for (auto& watcher : st.view_watchers)
    self->send(watcher, view_atom::value, view);
}

void start_store(sink_actor* self, std::function<void(caf::error)> done) {
  auto& st = self->state;
  st.starting = true;
  auto finish = [self, done](caf::error err) {
    auto& st = self->state;
    st.starting = false;
    if (!err) {
      st.phase = store_phase::live;
      release_held(self);
      st.cfg.revision->store(st.position.revision);
    } else {
      // The store did not take the load: what was held is in RocksDB and reaches the shards
      // with the next load.
      st.phase = store_phase::unloaded;
      st.held.clear();
    }
    for (auto& rp : st.start_waiters) {
      if (err)
        rp.deliver(err);
      else
        rp.deliver(caf::unit);
    }
    st.start_waiters.clear();
    done(err);
  };
  self->request(st.store, store_timeout, start_atom::value)
    .then([finish] { finish(caf::error{}); }, [finish](caf::error& err) { finish(err); });
}

} // namespace ooo::storage::cluster::detail

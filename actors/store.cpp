#include "actors/store.hpp"

#include <algorithm>

#include "caf/actor_system.hpp"
#include "caf/stateful_actor.hpp"
#include "caf/typed_event_based_actor.hpp"

#include "actors/event_log.hpp"
#include "actors/fan_out.hpp"
#include "actors/protocol.hpp"
#include "actors/replica_protocol.hpp"
#include "actors/shard.hpp"
#include "actors/store_state.hpp"
#include "messages/errc.hpp"
#include "messages/key.hpp"

namespace ooo::storage {

namespace {

/// A `void` promise delivers the empty message through its untyped base.
void deliver_done(caf::typed_response_promise<void>& promise) {
  static_cast<caf::response_promise&>(promise).deliver(caf::unit);
}

caf::error inactive(const std::string& what) {
  return make_error(errc::not_active, what);
}

/// Queues an exact-key request for the key's shard, which answers the caller directly. The
/// requests of one mailbox round go to each shard in one message (see `flush_routed`): a busy
/// store sends a shard one message per round, not one per request.
template <class T>
caf::result<T> forward(store_pointer self, routed_op op) {
  auto& st = self->state;
  if (!st.active)
    return inactive(op.key);
  // Hand the request over as `delegate` does: the shard answers the sender directly.
  auto& request = *self->current_mailbox_element();
  op.client = caf::actor_cast<caf::actor_addr>(request.sender);
  op.source = std::move(request.sender);
  op.stages = std::move(request.stages);
  op.id = request.mid;
  auto& part = st.routed[shard_of(op.key, st.shards.size())];
  part.emplace_back(std::move(op));
  if (!st.flush_scheduled) {
    st.flush_scheduled = true;
    self->send(self, caf::flush_atom::value);
  }
  return caf::delegated<T>{};
}

routed_op make_op(routed_op::kind_t kind, std::string key) {
  routed_op op;
  op.kind = kind;
  op.key = std::move(key);
  return op;
}

/// Splits a batch by shard (each part keeps its order), sends each part as one message and
/// answers with the results back in the batch's order.
caf::result<std::vector<batch_result>> run_batch(store_pointer self, std::vector<batch_op> ops) {
  auto& st = self->state;
  if (!st.active)
    return inactive("batch");
  if (ops.empty())
    return std::vector<batch_result>{};
  flush_routed(self);
  auto client = caf::actor_cast<caf::actor_addr>(self->current_sender());
  auto rp = self->make_response_promise<std::vector<batch_result>>();
  auto n = st.shards.size();
  std::vector<std::vector<batch_op>> parts(n);
  std::vector<std::vector<size_t>> positions(n);
  for (size_t i = 0; i < ops.size(); ++i) {
    auto s = shard_of(ops[i].key, n);
    positions[s].push_back(i);
    parts[s].emplace_back(std::move(ops[i]));
  }
  auto results = std::make_shared<std::vector<batch_result>>(ops.size());
  auto remaining = std::make_shared<size_t>(0);
  auto id = ++st.last_id;
  // After the answer, the shards let the client's later requests on the batch's keys run.
  for (size_t s = 0; s < n; ++s)
    if (!parts[s].empty())
      ++*remaining;
  std::vector<size_t> involved;
  for (size_t s = 0; s < n; ++s)
    if (!parts[s].empty())
      involved.push_back(s);
  auto finish = [rp, results, remaining, self, id, involved]() mutable {
    if (--*remaining > 0)
      return;
    rp.deliver(std::move(*results));
    flush_routed(self);
    for (auto s : involved)
      caf::anon_send(self->state.shards[s], release_atom::value, id);
  };
  for (auto s : involved) {
    self->request(st.shards[s], caf::infinite, batch_atom::value, std::move(parts[s]), client, id)
      .then(
        [results, finish, where = positions[s]](std::vector<batch_result>& part) mutable {
          for (size_t i = 0; i < part.size() && i < where.size(); ++i)
            (*results)[where[i]] = std::move(part[i]);
          finish();
        },
        [results, finish, where = positions[s]](caf::error& err) mutable {
          for (auto i : where)
            (*results)[i].error = err;
          finish();
        });
  }
  return rp;
}

caf::result<deleted> del(store_pointer self, std::string& key, bool silent) {
  if (!self->state.active)
    return inactive(key);
  if (check_pattern(key) != errc::none)
    return make_error(errc::invalid_path, key);
  if (!is_glob(key))
    return forward<deleted>(self, make_op(silent ? routed_op::del_silent : routed_op::del,
                                          std::move(key)));
  return run_glob(self, std::move(key), silent);
}

// -- subscriptions -----------------------------------------------------------------------------

caf::result<uint64_t> subscribe(store_pointer self, const std::string& pattern,
                                const caf::actor& subscriber, const subscribe_options& opts) {
  if (!self->state.active)
    return inactive(pattern);
  if (check_pattern(pattern) != errc::none)
    return make_error(errc::invalid_path, pattern);
  if (!subscriber)
    return make_error(errc::invalid_data, "subscribe " + pattern + ": no subscriber");
  auto rp = self->make_response_promise();
  rp.delegate(self->state.log, caf::subscribe_atom::value, pattern, subscriber, opts);
  return caf::delegated<uint64_t>{};
}

caf::result<store_stats> stats(store_pointer self) {
  auto& st = self->state;
  if (!st.active)
    return inactive("stats");
  flush_routed(self);
  auto rp = self->make_response_promise<store_stats>();
  auto sources = st.shards;
  sources.push_back(st.log);
  fan_out<store_stats>(
    self, sources,
    [self, rp](std::vector<store_stats> parts) mutable {
      auto& st = self->state;
      store_stats result;
      for (auto& part : parts) {
        result.keys += part.keys;
        result.locks += part.locks;
        result.lock_waiters += part.lock_waiters;
      }
      // The event log answers last: its part has the subscriptions and the history.
      auto& events = parts.back();
      result.subscribers = events.subscribers;
      result.dropped_events = events.dropped_events;
      result.max_lag = events.max_lag;
      result.history = events.history;
      result.revision = st.revision->load();
      result.shards = st.shards.size();
      result.durability = to_string(st.mode);
      if (!st.persistence) {
        rp.deliver(std::move(result));
        return;
      }
      self->request(st.persistence, caf::infinite, stats_atom::value)
        .then(
          [rp, result](commit_stats& commits) mutable {
            result.commit_batches = commits.batches;
            result.commit_changes = commits.changes;
            result.persistence = std::move(commits.gauges);
            rp.deliver(std::move(result));
          },
          [rp](caf::error& err) mutable { rp.deliver(std::move(err)); });
    },
    [rp](caf::error& err) mutable { rp.deliver(std::move(err)); }, stats_atom::value);
  return rp;
}

// -- lifecycle ---------------------------------------------------------------------------------

/// The store is ready: the shards serve again and the event log continues after the loaded
/// revision.
void activate(store_pointer self) {
  auto& st = self->state;
  flush_routed(self);
  for (auto& shard : st.shards)
    caf::anon_send(shard, start_atom::value);
  caf::anon_send(st.log, start_atom::value, st.revision->load());
  st.starting = false;
  st.active = true;
}

void start_loaded(store_pointer self, caf::typed_response_promise<void> promise) {
  auto& st = self->state;
  if (st.close_after_start) {
    // `close` arrived during the start: it wins.
    st.starting = false;
    st.close_after_start = false;
    promise.deliver(inactive("the store was closed while it started"));
    close_when_idle(self);
    return;
  }
  activate(self);
  deliver_done(promise);
}

void load_shards(store_pointer self, std::vector<std::vector<object>> parts,
                 caf::typed_response_promise<void> promise) {
  auto& st = self->state;
  auto remaining = std::make_shared<size_t>(st.shards.size());
  for (size_t i = 0; i < st.shards.size(); ++i)
    self->request(st.shards[i], caf::infinite, load_atom::value, std::move(parts[i]))
      .then([=]() mutable {
        if (--*remaining == 0)
          start_loaded(self, promise);
      });
}

caf::result<void> start(store_pointer self) {
  auto& st = self->state;
  if (st.active)
    return caf::unit;
  if (st.starting)
    return inactive("the store is starting");
  st.closed = false;
  st.starting = true;
  auto rp = self->make_response_promise<void>();
  if (!st.persistence) {
    // Memory only: a closed store starts again with what it held.
    start_loaded(self, rp);
    return rp;
  }
  self
    ->request(st.persistence, caf::infinite, load_atom::value,
              static_cast<uint32_t>(st.shards.size()))
    .then(
      [self, rp](std::vector<std::vector<object>>& parts, std::vector<event>& history,
                 uint64_t compacted) {
        caf::anon_send(self->state.log, load_atom::value, std::move(history), compacted);
        load_shards(self, std::move(parts), rp);
      },
      [self, rp](caf::error& err) mutable {
        auto& st = self->state;
        st.starting = false;
        rp.deliver(std::move(err));
        if (st.close_after_start) {
          st.close_after_start = false;
          close_when_idle(self);
        }
      });
  return rp;
}

caf::result<void> close(store_pointer self) {
  auto& st = self->state;
  if (st.closed && !st.close_promise.pending())
    return caf::unit;
  if (st.close_promise.pending())
    return inactive("the store is closing");
  st.active = false;
  st.closed = true;
  st.close_promise = self->make_response_promise<void>();
  // Glob deletes not yet collecting answer now; a running one finishes first.
  refuse_waiting_globs(self);
  if (st.starting)
    st.close_after_start = true;
  else
    close_when_idle(self);
  return st.close_promise;
}

} // namespace

void flush_routed(store_pointer self) {
  auto& st = self->state;
  for (size_t s = 0; s < st.routed.size(); ++s) {
    if (st.routed[s].empty())
      continue;
    caf::anon_send(st.shards[s], routed_atom::value, std::move(st.routed[s]));
    st.routed[s] = std::vector<routed_op>{};
  }
}

void close_when_idle(store_pointer self) {
  auto& st = self->state;
  if (st.running_glob != 0 || st.starting || !st.close_promise.pending())
    return;
  auto done = [self] { deliver_done(self->state.close_promise); };
  flush_routed(self);
  // The shards answer what they hold (and finish their writes in flight), then persistence
  // flushes and releases its layer. The actors stay: `start` may open the store again; an
  // `exit` to the store ends them.
  fan_out<caf::unit_t>(
    self, st.shards,
    [self, done](std::vector<caf::unit_t>) {
      auto& st = self->state;
      if (!st.persistence) {
        done();
        return;
      }
      self->request(st.persistence, caf::infinite, caf::close_atom::value)
        .then([done] { done(); },
              [self](caf::error& err) { self->state.close_promise.deliver(std::move(err)); });
    },
    [done](caf::error&) { done(); }, caf::close_atom::value);
}

namespace {

store_actor::behavior_type store(store_pointer self, std::shared_ptr<store_config> cfg) {
  auto& st = self->state;
  st.opts = std::make_shared<const options>(cfg->opts);
  st.revision = std::make_shared<std::atomic<uint64_t>>(0);
  st.mode = cfg->persistent || cfg->replica ? cfg->mode : durability::memory;
  std::shared_ptr<std::atomic<uint64_t>> lock_tokens;
  if (cfg->replica) {
    // A replicated group keeps the revision and the lock tokens (replica_protocol.hpp).
    st.persistence = cfg->replica->persistence;
    st.revision = cfg->replica->revision;
    lock_tokens = cfg->replica->lock_tokens;
  } else if (cfg->persistent) {
    cfg->persistent->retain_history(st.opts->history_events, st.opts->history_bytes);
    st.persistence = spawn_persistence(self->system(), std::move(cfg->persistent), st.revision,
                                       cfg->persistence_thread);
  }
  st.log = spawn_event_log(self->system(), st.opts);
  auto n = shard_count(*st.opts);
  st.routed.resize(n);
  for (size_t i = 0; i < n; ++i)
    st.shards.push_back(
      spawn_shard(self->system(),
                  shard_config{st.opts, st.persistence, st.revision, st.log, lock_tokens}));
  if (cfg->replica)
    caf::anon_send(caf::actor_cast<caf::actor>(st.persistence), replica_attach_atom::value,
                   st.shards, st.log, caf::actor_cast<caf::actor>(self));
  // Whoever ends the store ends what it spawned, so the actor system can shut down.
  self->attach_functor(
    [shards = st.shards, log = st.log, persistence = st.persistence](const caf::error&) {
      for (auto& shard : shards)
        caf::anon_send_exit(shard, caf::exit_reason::user_shutdown);
      caf::anon_send_exit(log, caf::exit_reason::user_shutdown);
      if (persistence)
        caf::anon_send_exit(persistence, caf::exit_reason::user_shutdown);
    });
  return {
    [=](set_atom, std::string& key, bytes& data, write_options& opts) -> caf::result<receipt> {
      auto op = make_op(routed_op::set, std::move(key));
      op.data = std::move(data);
      op.opts = opts;
      return forward<receipt>(self, std::move(op));
    },
    [=](push_atom, std::string& pattern, bytes& data) -> caf::result<receipt> {
      if (!self->state.active)
        return inactive(pattern);
      if (auto code = check_push_pattern(pattern); code != errc::none)
        return make_error(code, pattern);
      write_options opts;
      opts.created = now(*self->state.opts);
      opts.keep_times = true;
      opts.expected_revision = 0;
      auto op = make_op(routed_op::set, push_key(pattern, opts.created));
      op.data = std::move(data);
      op.opts = opts;
      return forward<receipt>(self, std::move(op));
    },
    [=](batch_atom, std::vector<batch_op>& ops) { return run_batch(self, std::move(ops)); },
    [=](caf::get_atom, std::string& key) -> caf::result<object> {
      return forward<object>(self, make_op(routed_op::get, std::move(key)));
    },
    [=](list_atom, std::string& pattern, list_options& opts) -> caf::result<std::vector<object>> {
      if (!self->state.active)
        return inactive(pattern);
      return run_list(self, std::move(pattern), opts);
    },
    [=](keys_atom, std::string& pattern,
        list_options& opts) -> caf::result<std::vector<std::string>> {
      if (!self->state.active)
        return inactive(pattern);
      return run_keys(self, std::move(pattern), opts);
    },
    [=](del_atom, std::string& key) { return del(self, key, false); },
    [=](del_silent_atom, std::string& key) { return del(self, key, true); },
    [=](lock_atom, std::string& key, uint32_t lease_ms) -> caf::result<uint64_t> {
      auto op = make_op(routed_op::lock, std::move(key));
      op.lease_ms = lease_ms;
      return forward<uint64_t>(self, std::move(op));
    },
    [=](get_lock_atom, std::string& key, uint32_t lease_ms) -> caf::result<lock_grant> {
      auto op = make_op(routed_op::get_lock, std::move(key));
      op.lease_ms = lease_ms;
      return forward<lock_grant>(self, std::move(op));
    },
    [=](unlock_atom, std::string& key, uint64_t token) -> caf::result<void> {
      auto op = make_op(routed_op::unlock, std::move(key));
      op.token = token;
      return forward<void>(self, std::move(op));
    },
    [=](clear_atom) -> caf::result<deleted> {
      if (!self->state.active)
        return inactive("clear");
      return run_glob(self, std::string{}, false);
    },
    [=](caf::subscribe_atom, std::string& pattern,
        caf::actor& subscriber) -> caf::result<uint64_t> {
      return subscribe(self, pattern, subscriber, subscribe_options{});
    },
    [=](caf::subscribe_atom, std::string& pattern, caf::actor& subscriber,
        subscribe_options& opts) -> caf::result<uint64_t> {
      return subscribe(self, pattern, subscriber, opts);
    },
    [=](caf::unsubscribe_atom, uint64_t id) -> caf::result<void> {
      auto rp = self->make_response_promise();
      rp.delegate(self->state.log, caf::unsubscribe_atom::value, id);
      return caf::delegated<void>{};
    },
    [=](stats_atom) { return stats(self); },
    [=](start_atom) { return start(self); },
    [=](active_atom) { return self->state.active; },
    [=](shards_atom) { return self->state.shards; },
    [=](caf::flush_atom) {
      self->state.flush_scheduled = false;
      flush_routed(self);
    },
    [=](caf::close_atom) { return close(self); },
  };
}

} // namespace

store_actor spawn_store(caf::actor_system& sys, store_config cfg) {
  // Spawn arguments must be copyable; the store takes the adapter out of it.
  return sys.spawn(store, std::make_shared<store_config>(std::move(cfg)));
}

} // namespace ooo::storage

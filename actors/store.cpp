#include "actors/store.hpp"

#include <algorithm>
#include <deque>
#include <numeric>
#include <unordered_map>

#include "caf/actor_system.hpp"
#include "caf/stateful_actor.hpp"
#include "caf/typed_event_based_actor.hpp"

#include "actors/event_log.hpp"
#include "actors/fan_out.hpp"
#include "actors/shard.hpp"
#include "messages/errc.hpp"
#include "messages/key.hpp"

namespace ooo::storage {

namespace {

/// A glob delete or clear waiting for its turn; `pattern` is empty for clear.
struct glob_job {
  std::string pattern;
  bool silent;
  caf::typed_response_promise<uint64_t> promise;
};

struct store_state {
  std::shared_ptr<const options> opts;
  durability mode = durability::memory;
  std::vector<caf::actor> shards;
  persistence_actor persistence;
  std::shared_ptr<std::atomic<uint64_t>> revision;

  bool active = false;
  bool starting = false;
  bool closed = false;
  caf::typed_response_promise<void> close_promise;

  /// Sequences events, keeps the history and the subscriptions.
  caf::actor log;

  /// Glob deletes and clears run one at a time; the front one runs while `glob_running`.
  std::deque<glob_job> globs;
  bool glob_running = false;

  static inline const char* name = "ooo.store";
};

using store_pointer = store_actor::stateful_pointer<store_state>;

/// A `void` promise delivers the empty message through its untyped base.
void deliver_done(caf::typed_response_promise<void>& promise) {
  static_cast<caf::response_promise&>(promise).deliver(caf::unit);
}

caf::error inactive(const std::string& what) {
  return make_error(errc::not_active, what);
}

/// Hands an exact-key request to the key's shard, which answers the caller directly.
template <class T, class... Ts>
caf::result<T> forward(store_pointer self, const std::string& key, Ts&&... xs) {
  auto& st = self->state;
  if (!st.active)
    return inactive(key);
  auto rp = self->make_response_promise();
  rp.delegate(st.shards[shard_of(key, st.shards.size())], std::forward<Ts>(xs)...);
  return caf::delegated<T>{};
}

caf::error check_list_options(const std::string& pattern, const list_options& opts) {
  if (opts.offset < 0 || opts.limit < 0)
    return make_error(errc::invalid_limit, pattern + ": offset and limit must not be negative");
  if (opts.created_from < 0 || opts.created_to < 0
      || (opts.created_from != 0 && opts.created_to != 0 && opts.created_from > opts.created_to))
    return make_error(errc::invalid_range, pattern + ": created range from "
                                             + std::to_string(opts.created_from) + " to "
                                             + std::to_string(opts.created_to));
  return {};
}

/// Per-shard options: every shard returns its first `offset + limit` results, the merge here
/// applies the offset. Without a limit, one more than `max_list` shows that the cap is exceeded.
list_options shard_options(const list_options& opts, size_t max_list) {
  auto result = opts;
  result.offset = 0;
  result.limit = opts.offset + (opts.limit > 0 ? opts.limit : static_cast<int64_t>(max_list) + 1);
  return result;
}

/// Applies offset and limit to the merged results; fails if a query without a limit has more
/// than `max_list` of them.
template <class T>
caf::expected<std::vector<T>> cut(std::vector<T> xs, const std::string& pattern,
                                  const list_options& opts, size_t max_list) {
  auto offset = std::min(xs.size(), static_cast<size_t>(opts.offset));
  xs.erase(xs.begin(), xs.begin() + static_cast<std::ptrdiff_t>(offset));
  if (opts.limit == 0 && xs.size() > max_list)
    return make_error(errc::limit_exceeded, pattern + ": more than " + std::to_string(max_list)
                                              + " results; ask with a limit");
  if (opts.limit > 0 && xs.size() > static_cast<size_t>(opts.limit))
    xs.resize(static_cast<size_t>(opts.limit));
  return xs;
}

/// Merges the shards' sorted parts into one list, by `created` (ties by key).
std::vector<object> merge_objects(std::vector<std::vector<object>>& parts,
                                  const list_options& opts) {
  std::vector<object> all;
  all.reserve(std::accumulate(parts.begin(), parts.end(), size_t{0},
                              [](size_t n, const auto& part) { return n + part.size(); }));
  for (auto& part : parts)
    std::move(part.begin(), part.end(), std::back_inserter(all));
  auto before = [](const object& x, const object& y) {
    return x.created != y.created ? x.created < y.created : x.path < y.path;
  };
  if (opts.ascending)
    std::sort(all.begin(), all.end(), before);
  else
    std::sort(all.begin(), all.end(), [&](const object& x, const object& y) {
      return before(y, x);
    });
  return all;
}

/// Merges the shards' sorted parts into one list of keys, sorted.
std::vector<std::string> merge_keys(std::vector<std::vector<std::string>>& parts,
                                    const list_options&) {
  std::vector<std::string> all;
  for (auto& part : parts)
    std::move(part.begin(), part.end(), std::back_inserter(all));
  std::sort(all.begin(), all.end());
  return all;
}

/// Fans a list or keys query out to every shard, merges the parts and applies offset, limit
/// and the cap on unlimited results.
template <class T, class Atom, class Merge>
caf::result<std::vector<T>> query(store_pointer self, Atom tag, const std::string& pattern,
                                  const list_options& opts, Merge merge) {
  auto rp = self->make_response_promise<std::vector<T>>();
  auto max = self->state.opts->max_list;
  fan_out<std::vector<T>>(
    self, self->state.shards,
    [rp, pattern, opts, max, merge](std::vector<std::vector<T>> parts) mutable {
      auto result = cut(merge(parts, opts), pattern, opts, max);
      if (result)
        rp.deliver(std::move(*result));
      else
        rp.deliver(std::move(result.error()));
    },
    [rp](caf::error& err) mutable { rp.deliver(std::move(err)); }, tag, pattern,
    shard_options(opts, max));
  return rp;
}

// -- glob delete and clear ---------------------------------------------------------------------

void run_next_glob(store_pointer self);
void close_shards(store_pointer self);

void finish_glob(store_pointer self, caf::expected<uint64_t> result) {
  auto& st = self->state;
  auto job = std::move(st.globs.front());
  st.globs.pop_front();
  st.glob_running = false;
  if (result)
    job.promise.deliver(*result);
  else
    job.promise.deliver(result.error());
  if (st.closed)
    close_shards(self);
  else
    run_next_glob(self);
}

void release_shards(store_pointer self) {
  for (auto& shard : self->state.shards)
    caf::anon_send(shard, release_atom::value);
}

/// Step 3: every shard deletes what it collected, with its slice of the revisions.
void apply_glob(store_pointer self, const std::vector<size_t>& sizes, uint64_t first_revision) {
  auto& st = self->state;
  auto silent = st.globs.front().silent;
  auto remaining = std::make_shared<size_t>(st.shards.size());
  auto total = std::make_shared<uint64_t>(0);
  // One unit: every event of this glob names its last revision.
  auto unit = first_revision + std::accumulate(sizes.begin(), sizes.end(), uint64_t{0}) - 1;
  for (size_t i = 0; i < st.shards.size(); ++i) {
    self->request(st.shards[i], caf::infinite, apply_atom::value, first_revision, unit, silent)
      .then([=](uint64_t n) {
        *total += n;
        if (--*remaining == 0)
          finish_glob(self, *total);
      });
    first_revision += sizes[i];
  }
}

/// Step 2: one batch for every collected key, committed at once.
void commit_glob(store_pointer self, std::vector<std::vector<std::string>> parts) {
  auto& st = self->state;
  std::vector<size_t> sizes;
  size_t total = 0;
  for (auto& part : parts) {
    sizes.push_back(part.size());
    total += part.size();
  }
  if (total == 0) {
    release_shards(self);
    finish_glob(self, uint64_t{0});
    return;
  }
  if (!st.persistence) {
    apply_glob(self, sizes, st.revision->fetch_add(total) + 1);
    return;
  }
  auto silent = st.globs.front().silent;
  std::vector<change> batch;
  batch.reserve(total);
  for (auto& part : parts)
    for (auto& key : part) {
      auto visible = !silent && !muted(*st.opts, key);
      batch.push_back(change{std::move(key), false, object{}, visible, true});
    }
  batch.back().unit_continues = false;
  self->request(st.persistence, caf::infinite, commit_atom::value, std::move(batch))
    .then([=](uint64_t first) { apply_glob(self, sizes, first); },
          [=](caf::error& err) {
            release_shards(self);
            finish_glob(self, std::move(err));
          });
}

/// Step 1: every shard reports its matching keys and holds further operations.
void run_next_glob(store_pointer self) {
  auto& st = self->state;
  if (st.glob_running || st.globs.empty())
    return;
  st.glob_running = true;
  fan_out<std::vector<std::string>>(
    self, st.shards,
    [self](std::vector<std::vector<std::string>> parts) { commit_glob(self, std::move(parts)); },
    [self](caf::error& err) {
      release_shards(self);
      finish_glob(self, std::move(err));
    },
    collect_atom::value, st.globs.front().pattern);
}

caf::result<uint64_t> enqueue_glob(store_pointer self, std::string pattern, bool silent) {
  auto& st = self->state;
  auto promise = self->make_response_promise<uint64_t>();
  st.globs.push_back(glob_job{std::move(pattern), silent, promise});
  run_next_glob(self);
  return promise;
}

caf::result<uint64_t> del(store_pointer self, std::string& key, bool silent) {
  if (!self->state.active)
    return inactive(key);
  if (check_pattern(key) != errc::none)
    return make_error(errc::invalid_path, key);
  if (!is_glob(key)) {
    if (silent)
      return forward<uint64_t>(self, key, del_silent_atom::value, std::move(key));
    return forward<uint64_t>(self, key, del_atom::value, std::move(key));
  }
  return enqueue_glob(self, std::move(key), silent);
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

// -- lifecycle ---------------------------------------------------------------------------------

void stop_children(store_pointer self) {
  auto& st = self->state;
  for (auto& shard : st.shards)
    self->send_exit(shard, caf::exit_reason::user_shutdown);
  self->send_exit(st.log, caf::exit_reason::user_shutdown);
  if (st.persistence)
    self->send_exit(st.persistence, caf::exit_reason::user_shutdown);
}

/// The store is ready: the event log continues after the loaded revision.
void activate(store_pointer self) {
  auto& st = self->state;
  caf::anon_send(st.log, start_atom::value, st.revision->load());
  st.starting = false;
  st.active = true;
}

/// Closes every shard (they answer what they hold), then persistence, then ends them.
void close_shards(store_pointer self) {
  auto done = [self] {
    stop_children(self);
    deliver_done(self->state.close_promise);
  };
  fan_out<caf::unit_t>(
    self, self->state.shards,
    [self, done](std::vector<caf::unit_t>) {
      auto& st = self->state;
      if (!st.persistence) {
        done();
        return;
      }
      self->request(st.persistence, caf::infinite, caf::close_atom::value)
        .then([done] { done(); }, [done](caf::error&) { done(); });
    },
    [done](caf::error&) { done(); }, caf::close_atom::value);
}

void load_shards(store_pointer self, std::vector<std::vector<object>> parts,
                 caf::typed_response_promise<void> promise) {
  auto& st = self->state;
  auto remaining = std::make_shared<size_t>(st.shards.size());
  for (size_t i = 0; i < st.shards.size(); ++i)
    self->request(st.shards[i], caf::infinite, load_atom::value, std::move(parts[i]))
      .then([=]() mutable {
        if (--*remaining == 0) {
          activate(self);
          deliver_done(promise);
        }
      });
}

store_actor::behavior_type store(store_pointer self, std::shared_ptr<store_config> cfg) {
  auto& st = self->state;
  st.opts = std::make_shared<const options>(cfg->opts);
  st.revision = std::make_shared<std::atomic<uint64_t>>(0);
  st.mode = cfg->persistent ? cfg->mode : durability::memory;
  if (cfg->persistent) {
    cfg->persistent->retain_history(st.opts->history_events);
    st.persistence = spawn_persistence(self->system(), std::move(cfg->persistent), st.revision,
                                       cfg->persistence_thread);
  }
  st.log = spawn_event_log(self->system(), st.opts);
  auto n = shard_count(*st.opts);
  for (size_t i = 0; i < n; ++i)
    st.shards.push_back(
      spawn_shard(self->system(), shard_config{st.opts, st.persistence, st.revision, st.log}));
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
      return forward<receipt>(self, key, set_atom::value, std::move(key), std::move(data),
                              opts);
    },
    [=](push_atom, std::string& pattern, bytes& data) -> caf::result<receipt> {
      if (!self->state.active)
        return inactive(pattern);
      if (auto code = check_push_pattern(pattern); code != errc::none)
        return make_error(code, pattern);
      write_options opts;
      opts.created = now(*self->state.opts);
      opts.expected_revision = 0;
      auto key = push_key(pattern, opts.created);
      return forward<receipt>(self, key, set_atom::value, key, std::move(data), opts);
    },
    [=](caf::get_atom, std::string& key) -> caf::result<object> {
      return forward<object>(self, key, caf::get_atom::value, std::move(key));
    },
    [=](list_atom, std::string& pattern,
        list_options& opts) -> caf::result<std::vector<object>> {
      if (!self->state.active)
        return inactive(pattern);
      if (check_pattern(pattern) != errc::none)
        return make_error(errc::invalid_path, pattern);
      if (!is_glob(pattern))
        return make_error(errc::glob_required, pattern);
      if (auto err = check_list_options(pattern, opts))
        return err;
      return query<object>(self, list_atom::value, pattern, opts, merge_objects);
    },
    [=](keys_atom, std::string& pattern,
        list_options& opts) -> caf::result<std::vector<std::string>> {
      if (!self->state.active)
        return inactive(pattern);
      if (!pattern.empty() && check_pattern(pattern) != errc::none)
        return make_error(errc::invalid_path, pattern);
      if (auto err = check_list_options(pattern, opts))
        return err;
      return query<std::string>(self, keys_atom::value, pattern, opts, merge_keys);
    },
    [=](del_atom, std::string& key) { return del(self, key, false); },
    [=](del_silent_atom, std::string& key) { return del(self, key, true); },
    [=](lock_atom, std::string& key, uint32_t lease_ms) -> caf::result<uint64_t> {
      return forward<uint64_t>(self, key, lock_atom::value, std::move(key), lease_ms);
    },
    [=](get_lock_atom, std::string& key, uint32_t lease_ms) -> caf::result<lock_grant> {
      return forward<lock_grant>(self, key, get_lock_atom::value, std::move(key), lease_ms);
    },
    [=](unlock_atom, std::string& key, uint64_t token) -> caf::result<void> {
      return forward<void>(self, key, unlock_atom::value, std::move(key), token);
    },
    [=](clear_atom) -> caf::result<uint64_t> {
      if (!self->state.active)
        return inactive("clear");
      return enqueue_glob(self, std::string{}, false);
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
    [=](stats_atom) -> caf::result<store_stats> {
      auto& st = self->state;
      if (!st.active)
        return inactive("stats");
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
    },
    [=](start_atom) -> caf::result<void> {
      auto& st = self->state;
      if (st.active)
        return caf::unit;
      if (st.closed || st.starting)
        return inactive(st.closed ? "the store is closed" : "the store is starting");
      if (!st.persistence) {
        activate(self);
        return caf::unit;
      }
      st.starting = true;
      auto rp = self->make_response_promise<void>();
      self
        ->request(st.persistence, caf::infinite, load_atom::value,
                  static_cast<uint32_t>(st.shards.size()))
        .then(
          [self, rp](std::vector<std::vector<object>>& parts, std::vector<event>& history) {
            auto& st = self->state;
            auto last = st.revision->load();
            auto kept = static_cast<uint64_t>(st.opts->history_events);
            caf::anon_send(st.log, load_atom::value, std::move(history),
                           last > kept ? last - kept : uint64_t{0});
            load_shards(self, std::move(parts), rp);
          },
          [self, rp](caf::error& err) mutable {
            self->state.starting = false;
            rp.deliver(std::move(err));
          });
      return rp;
    },
    [=](active_atom) { return self->state.active; },
    [=](caf::close_atom) -> caf::result<void> {
      auto& st = self->state;
      if (st.closed)
        return caf::unit;
      st.active = false;
      st.closed = true;
      st.close_promise = self->make_response_promise<void>();
      // Queued globs never ran: they answer now; a running one finishes first.
      auto first_waiting = st.glob_running ? 1u : 0u;
      while (st.globs.size() > first_waiting) {
        st.globs.back().promise.deliver(inactive(st.globs.back().pattern));
        st.globs.pop_back();
      }
      if (!st.glob_running)
        close_shards(self);
      return st.close_promise;
    },
  };
}

} // namespace

store_actor spawn_store(caf::actor_system& sys, store_config cfg) {
  // Spawn arguments must be copyable; the store takes the adapter out of it.
  return sys.spawn(store, std::make_shared<store_config>(std::move(cfg)));
}

} // namespace ooo::storage

#include "tests/model/workload.hpp"

#include <map>

#include "caf/actor_system.hpp"
#include "caf/event_based_actor.hpp"
#include "caf/stateful_actor.hpp"

namespace ooo::storage::model {

key_space key_space::make(bool hooks) {
  key_space ks;
  for (auto prefix : {"a", "b"})
    for (int i = 0; i < 4; ++i)
      ks.keys.push_back(std::string{prefix} + "/" + std::to_string(i));
  ks.keys.push_back("a/0/x");
  ks.keys.push_back("c");
  ks.patterns = {"a/*", "b/*", "*/1", "*/*", "a/*/x", "*"};
  ks.lock_keys = {"ctr/0", "ctr/1", "a/0"};
  if (hooks) {
    ks.keys.push_back("boom/0");
    ks.keys.push_back("boom/1");
    ks.patterns.push_back("boom/*");
  }
  return ks;
}

namespace {

template <class T>
const T& pick(std::mt19937_64& rng, const std::vector<T>& xs) {
  return xs[rng() % xs.size()];
}

bool chance(std::mt19937_64& rng, int one_in) {
  return rng() % static_cast<uint64_t>(one_in) == 0;
}

// -- pipeliner -----------------------------------------------------------------------------------

struct pipeliner_state {
  std::shared_ptr<history> log;
  store_actor store;
  key_space keys;
  int client = 0;
  std::mt19937_64 rng;
  int remaining = 0;
  int in_flight = 0;
  uint64_t seq = 0;
  bool silent = true;
  caf::actor parent;
  /// The newest revision this client saw of each key (for compare-and-set).
  std::map<std::string, uint64_t> seen;
  static inline const char* name = "model.pipeliner";
};

using pipeliner_actor = caf::stateful_actor<pipeliner_state>;

void send_one(pipeliner_actor* self);

void answered(pipeliner_actor* self) {
  auto& st = self->state;
  --st.in_flight;
  if (st.remaining > 0)
    send_one(self);
  else if (st.in_flight == 0)
    self->send(st.parent, done_atom::value);
}

/// Records the answer (a `T`) of `id` and sends the next request.
template <class T, class F>
auto on_ok(pipeliner_actor* self, uint64_t id, F fill) {
  return [=](T& x) {
    self->state.log->complete(id, [&](op& o) { fill(o, x); });
    answered(self);
  };
}

auto on_error(pipeliner_actor* self, uint64_t id) {
  return [=](caf::error& err) {
    self->state.log->complete(id, [&](op& o) { o.error = err; });
    answered(self);
  };
}

list_options random_list_options(std::mt19937_64& rng) {
  list_options o;
  o.ascending = chance(rng, 2);
  if (chance(rng, 3)) {
    o.offset = static_cast<int64_t>(rng() % 3);
    o.limit = 1 + static_cast<int64_t>(rng() % 4);
  }
  return o;
}

/// A batch of 2-6 sets, gets and dels (keys may repeat: their order within the batch counts),
/// recorded as one op each, sent and answered together.
void send_batch(pipeliner_actor* self) {
  auto& st = self->state;
  auto n = 2 + st.rng() % 5;
  std::vector<batch_op> ops;
  std::vector<uint64_t> ids;
  for (size_t i = 0; i < n; ++i) {
    op x;
    x.client = st.client;
    x.pipelined = true;
    x.seq = st.seq++;
    x.key = pick(st.rng, st.keys.keys);
    batch_op b;
    b.key = x.key;
    auto roll = st.rng() % 10;
    x.kind = roll < 5 ? op_kind::set : roll < 8 ? op_kind::get : op_kind::del;
    b.kind = x.kind == op_kind::set ? batch_kind::set
             : x.kind == op_kind::get ? batch_kind::get
                                      : batch_kind::del;
    auto id = st.log->invoke(x);
    if (x.kind == op_kind::set)
      b.data = make_value(id, "");
    ids.push_back(id);
    ops.push_back(std::move(b));
  }
  self->request(st.store, caf::infinite, batch_atom::value, std::move(ops))
    .then(
      [=](std::vector<batch_result>& results) {
        auto& st = self->state;
        for (size_t i = 0; i < ids.size(); ++i)
          st.log->complete(ids[i], [&](op& o) {
            if (i >= results.size()) {
              o.error = make_error(errc::invalid_data, "missing batch result");
              return;
            }
            auto& r = results[i];
            if (r.error) {
              o.error = r.error;
            } else if (o.kind == op_kind::set) {
              o.written = r.written;
            } else if (o.kind == op_kind::get) {
              o.read = r.read;
              st.seen[o.key] = r.read.revision;
            } else {
              o.number = r.removed.count;
              o.revision = r.removed.revision;
            }
          });
        answered(self);
      },
      [=](caf::error& err) {
        for (auto id : ids)
          self->state.log->complete(id, [&](op& o) { o.error = err; });
        answered(self);
      });
}

void send_one(pipeliner_actor* self) {
  auto& st = self->state;
  --st.remaining;
  ++st.in_flight;
  op x;
  x.client = st.client;
  x.pipelined = true;
  x.seq = st.seq++;
  auto roll = st.rng() % 100;
  auto key = pick(st.rng, st.keys.keys);
  auto pattern = pick(st.rng, st.keys.patterns);
  auto& store = st.store;
  if (chance(st.rng, 12)) {
    send_batch(self);
    return;
  }
  if (roll < 30) {
    x.kind = op_kind::set;
    x.key = key;
    if (roll < 6) {
      // Compare-and-set: against what this client saw, or "must not exist".
      auto i = st.seen.find(key);
      x.wopts.expected_revision = i == st.seen.end() || chance(st.rng, 3)
                                    ? 0
                                    : static_cast<int64_t>(i->second);
    } else if (roll < 8) {
      x.wopts.created = 1000 + static_cast<int64_t>(st.rng() % 1000);
      x.wopts.updated = x.wopts.created + 1;
      x.wopts.keep_times = true;
    }
    auto id = st.log->invoke(x);
    auto value = make_value(id, "");
    self->request(store, caf::infinite, set_atom::value, key, value, x.wopts)
      .then(on_ok<receipt>(self, id,
                  [=](op& o, receipt& r) {
                    o.written = r;
                    self->state.seen[key] = r.revision;
                  }),
            on_error(self, id));
  } else if (roll < 33) {
    x.kind = op_kind::push;
    x.key = "q/*";
    auto id = st.log->invoke(x);
    self->request(store, caf::infinite, push_atom::value, x.key, make_value(id, ""))
      .then(on_ok<receipt>(self, id, [](op& o, receipt& r) { o.written = r; }), on_error(self, id));
  } else if (roll < 56) {
    x.kind = op_kind::get;
    x.key = key;
    auto id = st.log->invoke(x);
    self->request(store, caf::infinite, caf::get_atom::value, key)
      .then(on_ok<object>(self, id,
                  [=](op& o, object& obj) {
                    self->state.seen[key] = obj.revision;
                    o.read = obj;
                  }),
            on_error(self, id));
  } else if (roll < 66) {
    bool silent = st.silent && roll < 58;
    bool glob = roll >= 62;
    if (glob && roll == 65 && chance(st.rng, 4)) {
      x.kind = op_kind::clear;
      auto id = st.log->invoke(x);
      self->request(store, caf::infinite, clear_atom::value)
        .then(on_ok<deleted>(self, id,
                             [](op& o, deleted& d) {
                               o.number = d.count;
                               o.revision = d.revision;
                             }),
              on_error(self, id));
    } else {
      x.kind = glob ? (silent ? op_kind::del_glob_silent : op_kind::del_glob)
                    : (silent ? op_kind::del_silent : op_kind::del);
      x.key = glob ? pattern : key;
      auto id = st.log->invoke(x);
      auto fill = on_ok<deleted>(self, id, [](op& o, deleted& d) {
        o.number = d.count;
        o.revision = d.revision;
      });
      if (silent)
        self->request(store, caf::infinite, del_silent_atom::value, x.key)
          .then(fill, on_error(self, id));
      else
        self->request(store, caf::infinite, del_atom::value, x.key)
          .then(fill, on_error(self, id));
    }
  } else if (roll < 85) {
    x.kind = op_kind::list;
    x.key = pattern;
    x.lopts = random_list_options(st.rng);
    auto id = st.log->invoke(x);
    self->request(store, caf::infinite, list_atom::value, pattern, x.lopts)
      .then(on_ok<std::vector<object>>(self, id,
                  [=](op& o, std::vector<object>& xs) {
                    for (auto& obj : xs)
                      self->state.seen[obj.path] = obj.revision;
                    o.listed = std::move(xs);
                  }),
            on_error(self, id));
  } else {
    x.kind = op_kind::keys;
    x.key = chance(st.rng, 4) ? std::string{} : pattern;
    x.lopts = random_list_options(st.rng);
    x.lopts.ascending = false;
    x.lopts.offset = 0;
    auto id = st.log->invoke(x);
    self->request(store, caf::infinite, keys_atom::value, x.key, x.lopts)
      .then(on_ok<std::vector<std::string>>(self, id, [](op& o, std::vector<std::string>& ks) { o.keys_listed = ks; }),
            on_error(self, id));
  }
}

caf::behavior pipeliner(pipeliner_actor* self, std::shared_ptr<history> log, store_actor store,
                        key_space keys, int client, uint64_t seed, int window, int n,
                        bool silent, caf::actor parent) {
  auto& st = self->state;
  st.log = std::move(log);
  st.store = std::move(store);
  st.keys = std::move(keys);
  st.client = client;
  st.rng.seed(seed);
  st.remaining = n;
  st.silent = silent;
  st.parent = std::move(parent);
  auto first = std::min(window, n);
  for (int i = 0; i < first; ++i)
    send_one(self);
  if (first == 0)
    self->send(st.parent, done_atom::value);
  return {
    [](int) {
      // nop: everything happens in the answers' handlers
    },
  };
}

// -- locker --------------------------------------------------------------------------------------

struct locker_state {
  std::shared_ptr<history> log;
  store_actor store;
  key_space keys;
  int client = 0;
  std::mt19937_64 rng;
  int remaining = 0;
  uint64_t seq = 0;
  uint32_t lease_ms = 0;
  bool may_die = false;
  caf::actor parent;
  static inline const char* name = "model.locker";
};

using locker_actor = caf::stateful_actor<locker_state>;

void cycle(locker_actor* self);

op locker_op(locker_actor* self, op_kind kind, const std::string& key) {
  auto& st = self->state;
  op x;
  x.client = st.client;
  x.seq = st.seq++;
  x.kind = kind;
  x.key = key;
  x.lease_ms = st.lease_ms;
  return x;
}

auto fail_and_cycle(locker_actor* self, uint64_t id) {
  return [=](caf::error& err) {
    self->state.log->complete(id, [&](op& o) { o.error = err; });
    cycle(self);
  };
}

void unlock(locker_actor* self, const std::string& key, uint64_t grant, uint64_t token);

/// Writes `key` with the lock of `grant` (and releases it if `unlock`), then continues. If the
/// write fails while the lock is still held, the lock is released before the next cycle.
void write_locked(locker_actor* self, const std::string& key, uint64_t grant, uint64_t token,
                  bool unlock, std::function<void()> then) {
  auto& st = self->state;
  auto x = locker_op(self, op_kind::set, key);
  x.wopts.token = token;
  x.wopts.unlock = unlock;
  x.grant = grant;
  auto id = st.log->invoke(x, "locked");
  self->request(st.store, caf::infinite, set_atom::value, key, make_value(id, "locked"), x.wopts)
    .then(
      [=](receipt& r) {
        self->state.log->complete(id, [&](op& o) { o.written = r; });
        then();
      },
      [=](caf::error& err) {
        self->state.log->complete(id, [&](op& o) { o.error = err; });
        if (token != 0 && !is(err, errc::lock_not_found))
          ooo::storage::model::unlock(self, key, grant, token);
        else
          cycle(self);
      });
}

void unlock(locker_actor* self, const std::string& key, uint64_t grant, uint64_t token) {
  auto& st = self->state;
  auto x = locker_op(self, op_kind::unlock, key);
  x.token = token;
  x.grant = grant;
  auto id = st.log->invoke(x);
  self->request(st.store, caf::infinite, unlock_atom::value, key, token)
    .then(
      [=] {
        self->state.log->complete(id, [](op&) {});
        cycle(self);
      },
      fail_and_cycle(self, id));
}

/// The holder dies with its lock now and then: the store must release it.
bool dies(locker_actor* self) {
  auto& st = self->state;
  if (!st.may_die || !chance(st.rng, 25))
    return false;
  self->send(st.parent, done_atom::value);
  self->quit();
  return true;
}

void cycle(locker_actor* self) {
  auto& st = self->state;
  if (st.remaining-- <= 0) {
    self->send(st.parent, done_atom::value);
    return;
  }
  auto key = pick(st.rng, st.keys.lock_keys);
  auto style = st.rng() % 3;
  if (style == 0) {
    auto x = locker_op(self, op_kind::get_lock, key);
    auto id = st.log->invoke(x);
    self->request(st.store, caf::infinite, get_lock_atom::value, key, st.lease_ms)
      .then(
        [=](lock_grant& g) {
          self->state.log->complete(id, [&](op& o) {
            o.number = g.token;
            o.read = g.value;
          });
          if (!dies(self))
            write_locked(self, key, id, g.token, true, [=] { cycle(self); });
        },
        [=](caf::error& err) {
          self->state.log->complete(id, [&](op& o) { o.error = err; });
          // A missing key cannot be locked with its value: create it.
          if (is(err, errc::not_found))
            write_locked(self, key, 0, 0, false, [=] { cycle(self); });
          else
            cycle(self);
        });
    return;
  }
  auto x = locker_op(self, op_kind::lock, key);
  auto id = st.log->invoke(x);
  self->request(st.store, caf::infinite, lock_atom::value, key, st.lease_ms)
    .then(
      [=](uint64_t token) {
        self->state.log->complete(id, [&](op& o) { o.number = token; });
        if (dies(self))
          return;
        if (style == 1)
          write_locked(self, key, id, token, false, [=] { unlock(self, key, id, token); });
        else
          unlock(self, key, id, token);
      },
      fail_and_cycle(self, id));
}

caf::behavior locker(locker_actor* self, std::shared_ptr<history> log, store_actor store,
                     key_space keys, int client, uint64_t seed, int n, uint32_t lease_ms,
                     bool may_die, caf::actor parent) {
  auto& st = self->state;
  st.log = std::move(log);
  st.store = std::move(store);
  st.keys = std::move(keys);
  st.client = client;
  st.rng.seed(seed);
  st.remaining = n;
  st.lease_ms = lease_ms;
  st.may_die = may_die;
  st.parent = std::move(parent);
  cycle(self);
  return {
    [](int) {
      // nop
    },
  };
}

// -- watcher -------------------------------------------------------------------------------------

using release_atom_t = caf::atom_constant<caf::atom("release")>;

struct watcher_state {
  std::shared_ptr<history> log;
  store_actor store;
  key_space keys;
  int client = 0;
  std::mt19937_64 rng;
  /// Subscription id -> index of its record.
  std::map<uint64_t, size_t> records;
  /// Batches and notices that arrived before their subscription's id was known (the courier
  /// that carries them may be faster than the answer to the subscribe request).
  struct early_item {
    uint64_t tick = 0;
    bool is_notice = false;
    event_batch batch;
    lagged notice;
  };
  std::map<uint64_t, std::vector<early_item>> early;
  /// The subscription now listened to (its record), and the newest revision it delivered.
  size_t current = SIZE_MAX;
  uint64_t current_id = 0;
  uint64_t newest = 0;
  std::string pattern;
  std::vector<caf::response_promise> parked;
  bool settled = false;
  static inline const char* name = "model.watcher";
};

using watcher_actor = caf::stateful_actor<watcher_state>;

void subscribe(watcher_actor* self, bool resume, uint64_t since, watch_mode mode) {
  auto& st = self->state;
  subscription_record rec;
  rec.client = st.client;
  rec.pattern = st.pattern;
  rec.opts.resume = resume;
  rec.opts.since = since;
  rec.opts.mode = mode;
  auto index = st.log->subscribe(rec);
  st.current = index;
  st.current_id = 0;
  st.newest = since;
  self
    ->request(st.store, caf::infinite, caf::subscribe_atom::value, rec.pattern,
              caf::actor_cast<caf::actor>(self), rec.opts)
    .then(
      [=](uint64_t id) {
        auto& st = self->state;
        st.log->update_subscription(index, [&](subscription_record& r) {
          r.complete = st.log->clock.tick();
          r.id = id;
        });
        st.records[id] = index;
        if (st.current == index)
          st.current_id = id;
        auto early = std::move(st.early[id]);
        st.early.erase(id);
        for (auto& item : early)
          st.log->update_subscription(index, [&](subscription_record& r) {
            if (item.is_notice)
              r.notices.push_back(
                subscription_record::notice{item.tick, r.batches.size(), item.notice});
            else
              r.batches.push_back(subscription_record::batch{item.tick, item.batch.events});
          });
      },
      [=](caf::error& err) {
        auto& st = self->state;
        st.log->update_subscription(index, [&](subscription_record& r) {
          r.complete = st.log->clock.tick();
          r.error = err;
        });
        // Resuming from a compacted revision: start live instead.
        if (is(err, errc::compacted) && !st.settled)
          subscribe(self, false, 0, mode);
      });
}

/// Stops listening to the current subscription and resumes a new one from where it stood.
void resubscribe(watcher_actor* self) {
  auto& st = self->state;
  if (st.current_id == 0)
    return;
  auto index = st.current;
  st.log->update_subscription(index,
                              [&](subscription_record& r) { r.stopped = st.log->clock.tick(); });
  self->send(st.store, caf::unsubscribe_atom::value, st.current_id);
  auto mode = chance(st.rng, 2) ? watch_mode::lossless : watch_mode::drop;
  subscribe(self, true, st.newest, mode);
}

caf::behavior watcher(watcher_actor* self, std::shared_ptr<history> log, store_actor store,
                      key_space keys, int client, uint64_t seed) {
  auto& st = self->state;
  st.log = std::move(log);
  st.store = std::move(store);
  st.keys = std::move(keys);
  st.client = client;
  st.rng.seed(seed);
  st.pattern = chance(st.rng, 3) ? std::string{"*/*"} : pick(st.rng, st.keys.patterns);
  subscribe(self, false, 0, chance(st.rng, 2) ? watch_mode::lossless : watch_mode::drop);
  return {
    [=](event_batch& batch) -> caf::result<void> {
      auto& st = self->state;
      auto i = st.records.find(batch.subscription);
      if (i == st.records.end()) {
        watcher_state::early_item item;
        item.tick = st.log->clock.tick();
        item.batch = batch;
        st.early[batch.subscription].push_back(std::move(item));
      } else {
        st.log->update_subscription(i->second, [&](subscription_record& r) {
          r.batches.push_back(subscription_record::batch{st.log->clock.tick(), batch.events});
        });
      }
      bool is_current = batch.subscription == st.current_id
                        || (i == st.records.end() && st.current_id == 0);
      if (is_current && !batch.events.empty())
        st.newest = std::max(st.newest, batch.events.back().revision);
      if (!st.settled && is_current && st.current_id != 0 && chance(st.rng, 15))
        resubscribe(self);
      if (st.settled || !chance(st.rng, 3))
        return caf::unit;
      // Slow: answer after a few more of its own messages.
      st.parked.push_back(self->make_response_promise());
      self->send(self, release_atom_t::value, static_cast<int>(st.rng() % 5));
      return caf::delegated<void>{};
    },
    [=](lagged& notice) {
      auto& st = self->state;
      auto i = st.records.find(notice.subscription);
      if (i == st.records.end()) {
        watcher_state::early_item item;
        item.tick = st.log->clock.tick();
        item.is_notice = true;
        item.notice = notice;
        st.early[notice.subscription].push_back(std::move(item));
        return;
      }
      st.log->update_subscription(i->second, [&](subscription_record& r) {
        r.notices.push_back(subscription_record::notice{st.log->clock.tick(), r.batches.size(),
                                                         notice});
      });
      if (notice.subscription != st.current_id || st.settled)
        return;
      // Resume from where the notice says nothing is missing.
      if (notice.ended || chance(st.rng, 2)) {
        st.newest = notice.resume_from;
        resubscribe(self);
      }
    },
    [=](release_atom_t, int countdown) {
      auto& st = self->state;
      if (countdown > 0) {
        self->send(self, release_atom_t::value, countdown - 1);
        return;
      }
      if (!st.parked.empty()) {
        st.parked.front().deliver(caf::unit);
        st.parked.erase(st.parked.begin());
      }
    },
    [=](settle_atom) {
      auto& st = self->state;
      st.settled = true;
      for (auto& rp : st.parked)
        rp.deliver(caf::unit);
      st.parked.clear();
    },
  };
}

} // namespace

caf::actor spawn_pipeliner(caf::actor_system& sys, store_actor store,
                           std::shared_ptr<history> log, const key_space& keys, int client,
                           uint64_t seed, int window, int n, bool silent, caf::actor parent) {
  return sys.spawn(pipeliner, std::move(log), std::move(store), keys, client, seed, window, n,
                   silent, std::move(parent));
}

caf::actor spawn_locker(caf::actor_system& sys, store_actor store, std::shared_ptr<history> log,
                        const key_space& keys, int client, uint64_t seed, int n,
                        uint32_t lease_ms, bool may_die, caf::actor parent) {
  return sys.spawn(locker, std::move(log), std::move(store), keys, client, seed, n, lease_ms,
                   may_die, std::move(parent));
}

workload_actors spawn_workload(caf::actor_system& sys, const store_actor& store,
                               const std::shared_ptr<history>& log, const key_space& keys,
                               const workload& load, std::mt19937_64& rng,
                               const caf::actor& parent) {
  workload_actors out;
  auto& client = out.last_client;
  for (int i = 0; i < load.watchers; ++i)
    out.watchers.push_back(spawn_watcher(sys, store, log, keys, ++client, rng()));
  for (int i = 0; i < load.pipeliners; ++i)
    out.clients.push_back(spawn_pipeliner(sys, store, log, keys, ++client, rng(), load.window,
                                          load.ops_per_pipeliner, load.silent, parent));
  for (int i = 0; i < load.lockers; ++i)
    out.clients.push_back(spawn_locker(sys, store, log, keys, ++client, rng(),
                                       load.cycles_per_locker, load.lease_ms, load.holders_die,
                                       parent));
  return out;
}

caf::actor spawn_watcher(caf::actor_system& sys, store_actor store, std::shared_ptr<history> log,
                         const key_space& keys, int client, uint64_t seed) {
  return sys.spawn(watcher, std::move(log), std::move(store), keys, client, seed);
}

} // namespace ooo::storage::model

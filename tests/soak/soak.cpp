// ooo-soak: a mixed workload against a RocksDB-backed store for `--duration` seconds, then the
// invariants of issue 6 (see tests/soak/README.md). Exit 0 only if every invariant holds.
//
// Every writer thread owns its keys (`s<t>/...`), so each thread keeps an exact model of what
// its keys hold and of the order of changes per key. The only shared key, `x/lock/counter`, is
// incremented under the store's lock, so its final value is the number of increments. Events
// are checked against an oracle: a lossless subscriber of every key that resumes (stop, then
// subscribe again from its last revision) every few seconds.

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <filesystem>
#include <future>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <unistd.h>

#include "caf/all.hpp"

#include "actors/layered.hpp"
#include "messages/errc.hpp"
#include "persistence/rocksdb_adapter.hpp"

using namespace ooo::storage;
using namespace std::chrono_literals;

namespace {

using die_atom = caf::atom_constant<caf::atom("die")>;
using clock_type = std::chrono::steady_clock;

// -- failures ----------------------------------------------------------------------------------

std::mutex failure_mtx;
std::vector<std::string> failure_msgs;
std::atomic<size_t> failure_count{0};

void fail(const std::string& what) {
  ++failure_count;
  std::lock_guard<std::mutex> guard{failure_mtx};
  if (failure_msgs.size() < 40)
    failure_msgs.push_back(what);
  std::cerr << "FAIL: " << what << std::endl;
}

std::string text(const caf::error& err) {
  return render(err);
}

// -- keys --------------------------------------------------------------------------------------

// Every key has three segments: `s<thread>/<group>/<item>`, plus the shared `x/lock/counter`.
// Its id packs thread (8 bits), group (8 bits) and item (48 bits), so that logs stay compact
// and subscriber patterns can be matched on ids.
constexpr uint64_t group_push = 255;
constexpr uint64_t group_cas = 254;
constexpr uint64_t group_lockkey = 253;
constexpr uint64_t group_counter = 252;
constexpr uint64_t shared_thread = 255;
const std::string counter_key = "x/lock/counter";

uint64_t id_of(const std::string& key) {
  auto a = key.find('/');
  auto b = key.find('/', a + 1);
  auto s0 = key.substr(0, a);
  auto s1 = key.substr(a + 1, b - a - 1);
  auto s2 = key.substr(b + 1);
  uint64_t t = s0 == "x" ? shared_thread : std::stoull(s0.substr(1));
  uint64_t g = 0;
  uint64_t i = 0;
  if (s1 == "q") {
    g = group_push;
    i = std::stoull(s2, nullptr, 16);
  } else {
    g = s1 == "cas" ? group_cas : s1 == "lk" ? group_lockkey : s1 == "lock" ? group_counter
                                                            : std::stoull(s1.substr(1));
    i = s1 == "lock" ? 0 : std::stoull(s2);
  }
  return (t << 56) | (g << 48) | (i & ((uint64_t{1} << 48) - 1));
}

std::string describe(uint64_t id) {
  std::ostringstream out;
  out << "key(thread " << (id >> 56) << ", group " << ((id >> 48) & 0xff) << ", item "
      << (id & ((uint64_t{1} << 48) - 1)) << ")";
  return out.str();
}

bytes to_bytes(const std::string& x) {
  return bytes(x.begin(), x.end());
}

// -- logs --------------------------------------------------------------------------------------

constexpr uint8_t op_set = 1;
constexpr uint8_t op_del = 2;
constexpr uint8_t op_notice = 3;

/// Bytes held by the soak's own logs: the RSS bound is checked on RSS minus these.
std::atomic<size_t> book_bytes{0};

/// One change as a writer saw it. `seq` orders the changes of one key (taken after the reply,
/// and a key's changes never overlap); `revision` is 0 for deletes (the store answers counts).
struct op_record {
  uint64_t seq;
  uint64_t id;
  uint64_t revision;
  uint8_t op;
};

/// One event as a subscriber saw it; `op_notice` entries are `lagged` notices (`id` holds the
/// dropped count, `revision` the resume point).
struct seen_event {
  uint64_t revision;
  uint64_t id;
  uint8_t op;
};

std::atomic<uint64_t> next_seq{0};

// -- ops ---------------------------------------------------------------------------------------

enum kind : size_t {
  k_set,
  k_get,
  k_push,
  k_del,
  k_del_silent,
  k_glob_del,
  k_list,
  k_lock_cycle,
  k_get_and_lock,
  k_counter,
  k_cas,
  k_dead_holder,
  k_count
};

const char* kind_names[k_count] = {"set",          "get",        "push",       "del",
                                   "del_silent",   "glob_del",   "list",       "lock_cycle",
                                   "get_and_lock", "counter",    "cas",        "dead_holder"};

template <class T, class... Ts>
caf::expected<T> ask(caf::scoped_actor& self, const store_actor& store, caf::timespan timeout,
                     Ts&&... xs) {
  caf::expected<T> result{caf::error{}};
  auto on_error = [&](caf::error& err) { result = std::move(err); };
  auto hdl = self->request(store, timeout, std::forward<Ts>(xs)...);
  if constexpr (std::is_void<T>::value)
    hdl.receive([&] { result = caf::expected<void>{}; }, on_error);
  else
    hdl.receive([&](T& x) { result = std::move(x); }, on_error);
  // Like the facade: a blocking actor's answered request keeps its timeout armed otherwise.
  self->system().clock().cancel_request_timeout(self.ptr(), hdl.id());
  return result;
}

/// A writer thread: owns the keys `s<t>/...` and keeps their model.
class writer {
public:
  writer(int t, layered& store, uint64_t seed)
    : t_(t), prefix_("s" + std::to_string(t) + "/"), store_(store), rng_(seed) {
    // nop
  }

  void run(clock_type::time_point deadline) {
    caf::scoped_actor self{store_.system()};
    self_ = &self;
    // Weights of the operations (out of 100).
    static constexpr std::array<std::pair<kind, int>, k_count> weights{{{k_set, 30},
                                                                        {k_get, 10},
                                                                        {k_push, 8},
                                                                        {k_del, 7},
                                                                        {k_del_silent, 2},
                                                                        {k_glob_del, 3},
                                                                        {k_list, 7},
                                                                        {k_lock_cycle, 6},
                                                                        {k_get_and_lock, 3},
                                                                        {k_counter, 8},
                                                                        {k_cas, 14},
                                                                        {k_dead_holder, 2}}};
    while (clock_type::now() < deadline && failure_count == 0) {
      auto roll = static_cast<int>(rng_() % 100);
      kind k = k_set;
      for (auto& [what, w] : weights) {
        if (roll < w) {
          k = what;
          break;
        }
        roll -= w;
      }
      current_kind = static_cast<int>(k);
      auto t0 = clock_type::now();
      op_started_ns = t0.time_since_epoch().count();
      switch (k) {
        case k_set: do_set(); break;
        case k_get: do_get(); break;
        case k_push: do_push(); break;
        case k_del: do_del(false); break;
        case k_del_silent: do_del(true); break;
        case k_glob_del: do_glob_del(); break;
        case k_list: do_list(); break;
        case k_lock_cycle: do_lock_cycle(); break;
        case k_get_and_lock: do_get_and_lock(); break;
        case k_counter: do_counter(); break;
        case k_cas: do_cas(); break;
        case k_dead_holder: do_dead_holder(); break;
        default: break;
      }
      auto ms = std::chrono::duration<double, std::milli>(clock_type::now() - t0).count();
      max_ms[k] = std::max(max_ms[k], ms);
      op_started_ns = 0;
      ++counts[k];
      ++done;
    }
    self_ = nullptr;
  }

  /// What each key of this thread holds.
  std::map<std::string, bytes> model;
  std::deque<op_record> log;
  std::array<uint64_t, k_count> counts{};
  /// The slowest operation of each kind, in milliseconds.
  std::array<double, k_count> max_ms{};
  /// For progress reports: operations done, and the one running (kind, start in ns; 0: none).
  std::atomic<uint64_t> done{0};
  std::atomic<int> current_kind{0};
  std::atomic<int64_t> op_started_ns{0};
  /// Silent deletes that removed a key: revisions without an event.
  uint64_t hidden = 0;
  uint64_t increments = 0;
  uint64_t conflicts = 0;
  double max_dead_holder_release_ms = 0;

private:
  std::string group_key(uint64_t g, uint64_t i) {
    return prefix_ + "g" + std::to_string(g) + "/" + std::to_string(i);
  }

  std::string random_key() {
    return group_key(rng_() % 8, rng_() % 32);
  }

  bytes data() {
    auto s = "t" + std::to_string(t_) + "#" + std::to_string(++n_) + ":";
    s.append(8 + rng_() % 120, static_cast<char>('a' + rng_() % 26));
    return to_bytes(s);
  }

  void record(const std::string& key, uint64_t revision, uint8_t op) {
    log.push_back(op_record{next_seq++, id_of(key), revision, op});
    book_bytes += sizeof(op_record);
  }

  bool ok(bool cond, const std::string& what) {
    if (!cond)
      fail("thread " + std::to_string(t_) + ": " + what);
    return cond;
  }

  void do_set() {
    auto key = random_key();
    auto value = data();
    auto r = store_.write(key, value);
    if (!ok(static_cast<bool>(r), "set " + key + ": " + (r ? "" : text(r.error()))))
      return;
    ok(r->key == key && r->revision > 0, "set " + key + ": odd receipt");
    model[key] = std::move(value);
    record(key, r->revision, op_set);
  }

  void do_get() {
    auto key = random_key();
    auto r = store_.get(key);
    auto i = model.find(key);
    if (i == model.end()) {
      ok(!r && is(r.error(), errc::not_found),
         "get " + key + ": expected not_found, got " + (r ? "a value" : text(r.error())));
      return;
    }
    if (ok(static_cast<bool>(r), "get " + key + ": " + (r ? "" : text(r.error()))))
      ok(r->data == i->second && r->path == key, "get " + key + ": value differs from model");
  }

  void do_push() {
    auto pattern = prefix_ + "q/*";
    auto value = data();
    auto r = ask<receipt>(*self_, store_.handle(), 20s, push_atom::value, pattern, value);
    if (!ok(static_cast<bool>(r), "push " + pattern + ": " + (r ? "" : text(r.error()))))
      return;
    ok(matches(pattern, r->key) && model.count(r->key) == 0, "push: bad key " + r->key);
    model[r->key] = std::move(value);
    record(r->key, r->revision, op_set);
    ++pushed_;
    // Keep the queue short: a glob delete empties it from time to time.
    if (pushed_ % 64 == 0)
      glob_del(pattern);
  }

  void do_del(bool silent) {
    auto key = rng_() % 8 == 0 ? prefix_ + "cas/" + std::to_string(rng_() % 4) : random_key();
    auto r = silent ? store_.del_silent(key) : store_.del(key);
    auto i = model.find(key);
    if (i == model.end()) {
      ok(!r && is(r.error(), errc::not_found),
         "del " + key + ": expected not_found, got " + (r ? "a count" : text(r.error())));
      return;
    }
    if (!ok(r && *r == 1, "del " + key + ": " + (r ? "count " + std::to_string(*r)
                                                   : text(r.error()))))
      return;
    model.erase(i);
    if (silent)
      ++hidden;
    else
      record(key, 0, op_del);
  }

  void glob_del(const std::string& pattern) {
    std::vector<std::string> doomed;
    for (auto& [key, value] : model)
      if (matches(pattern, key))
        doomed.push_back(key);
    auto r = store_.del(pattern);
    if (!ok(r && *r == doomed.size(),
            "del " + pattern + ": expected " + std::to_string(doomed.size()) + ", got "
              + (r ? std::to_string(*r) : text(r.error()))))
      return;
    for (auto& key : doomed) {
      model.erase(key);
      record(key, 0, op_del);
    }
  }

  void do_glob_del() {
    if (rng_() % 4 == 0)
      glob_del(prefix_ + "q/*");
    else
      glob_del(prefix_ + "g" + std::to_string(rng_() % 8) + "/*");
  }

  void do_list() {
    auto pattern = rng_() % 5 == 0 ? prefix_ + "q/*" : prefix_ + "g" + std::to_string(rng_() % 8)
                                                          + "/*";
    std::map<std::string, bytes> expected;
    for (auto& [key, value] : model)
      if (matches(pattern, key))
        expected.emplace(key, value);
    if (rng_() % 3 == 0) {
      auto r = store_.keys(pattern);
      if (!ok(static_cast<bool>(r), "keys " + pattern + ": " + (r ? "" : text(r.error()))))
        return;
      std::vector<std::string> want;
      for (auto& kv : expected)
        want.push_back(kv.first);
      ok(*r == want, "keys " + pattern + ": " + std::to_string(r->size()) + " keys, model has "
                       + std::to_string(want.size()));
      return;
    }
    auto r = store_.get_list(pattern);
    if (!ok(static_cast<bool>(r), "list " + pattern + ": " + (r ? "" : text(r.error()))))
      return;
    std::map<std::string, bytes> got;
    int64_t last_created = 0;
    bool sorted = true;
    for (auto& obj : *r) {
      sorted = sorted && obj.created >= last_created;
      last_created = obj.created;
      got.emplace(obj.path, obj.data);
    }
    ok(sorted, "list " + pattern + ": not oldest first");
    ok(got == expected, "list " + pattern + ": " + std::to_string(got.size())
                          + " objects, model has " + std::to_string(expected.size()));
  }

  /// Lock, write with the lock, then unlock (or write and unlock in one).
  void do_lock_cycle() {
    auto key = random_key();
    auto locked = store_.lock(key);
    if (!ok(static_cast<bool>(locked), "lock " + key + ": "
                                         + (locked ? "" : text(locked.error()))))
      return;
    auto value = data();
    if (rng_() % 2 == 0) {
      auto r = store_.write(key, value);
      if (ok(static_cast<bool>(r), "locked set " + key + ": " + (r ? "" : text(r.error())))) {
        model[key] = value;
        record(key, r->revision, op_set);
      }
      auto u = store_.unlock(key);
      ok(static_cast<bool>(u), "unlock " + key + ": " + (u ? "" : text(u.error())));
    } else {
      set_and_unlock(key, value);
    }
  }

  void set_and_unlock(const std::string& key, const bytes& value) {
    auto r = store_.set_and_unlock(key, std::string_view{value.data(), value.size()});
    if (!ok(static_cast<bool>(r), "set_and_unlock " + key + ": " + (r ? "" : text(r.error()))))
      return;
    model[key] = value;
    // The facade answers the index only; the thread owns the key, so a get shows the revision.
    auto obj = store_.get(key);
    if (ok(obj && obj->data == value, "get after set_and_unlock " + key))
      record(key, obj->revision, op_set);
  }

  void do_get_and_lock() {
    auto key = random_key();
    auto r = store_.get_and_lock(key);
    auto i = model.find(key);
    if (i == model.end()) {
      ok(!r && is(r.error(), errc::not_found),
         "get_and_lock " + key + ": expected not_found, got "
           + (r ? "a value" : text(r.error())));
      return;
    }
    if (!ok(static_cast<bool>(r), "get_and_lock " + key + ": " + (r ? "" : text(r.error()))))
      return;
    ok(r->data == i->second, "get_and_lock " + key + ": value differs from model");
    set_and_unlock(key, data());
  }

  /// Increments the shared counter under the store's lock; every thread contends for it.
  void do_counter() {
    auto& self = *self_;
    auto store = store_.handle();
    auto token = ask<uint64_t>(self, store, 20s, lock_atom::value, counter_key, uint32_t{0});
    if (!ok(static_cast<bool>(token), "lock counter: " + (token ? "" : text(token.error()))))
      return;
    auto obj = ask<object>(self, store, 20s, caf::get_atom::value, counter_key);
    if (ok(static_cast<bool>(obj), "get counter: " + (obj ? "" : text(obj.error())))) {
      auto n = std::stoull(std::string(obj->data.begin(), obj->data.end()));
      write_options opts;
      opts.token = *token;
      auto r = ask<receipt>(self, store, 20s, set_atom::value, counter_key,
                            to_bytes(std::to_string(n + 1)), opts);
      if (ok(static_cast<bool>(r), "set counter: " + (r ? "" : text(r.error())))) {
        ++increments;
        record(counter_key, r->revision, op_set);
      }
    }
    auto u = ask<void>(self, store, 20s, unlock_atom::value, counter_key, *token);
    ok(static_cast<bool>(u), "unlock counter: " + (u ? "" : text(u.error())));
  }

  /// Compare-and-set: a stale expected revision must lose without a change, the current one
  /// must win; 0 must win only on a missing key.
  void do_cas() {
    auto key = prefix_ + "cas/" + std::to_string(rng_() % 4);
    auto i = model.find(key);
    write_options opts;
    auto value = data();
    if (i == model.end()) {
      opts.expected_revision = 0;
    } else {
      auto cur = store_.get(key);
      if (!ok(cur && cur->data == i->second, "cas get " + key))
        return;
      opts.expected_revision = static_cast<int64_t>(cur->revision);
      if (rng_() % 3 == 0) {
        write_options stale = opts;
        stale.expected_revision = rng_() % 2 == 0 ? 0 : opts.expected_revision - 1;
        auto lost = store_.write(key, data(), stale);
        if (!ok(!lost && is(lost.error(), errc::conflict),
                "cas with a stale revision on " + key + " did not conflict"))
          return;
        ++conflicts;
      }
    }
    auto r = store_.write(key, value, opts);
    if (!ok(static_cast<bool>(r), "cas " + key + ": " + (r ? "" : text(r.error()))))
      return;
    model[key] = std::move(value);
    record(key, r->revision, op_set);
  }

  /// An actor takes a lock with a 10-minute lease and dies (killed or quitting) while a write of
  /// this thread waits for the key: the write must go through once the holder is gone.
  void do_dead_holder() {
    auto key = prefix_ + "lk/" + std::to_string(rng_() % 4);
    auto store = store_.handle();
    auto granted = std::make_shared<std::promise<bool>>();
    auto fut = granted->get_future();
    auto kill = rng_() % 2 == 0;
    auto holder = store_.system().spawn([store, key, granted](caf::event_based_actor* self)
                                          -> caf::behavior {
      self->request(store, caf::infinite, lock_atom::value, key, uint32_t{600000})
        .then([granted](uint64_t) { granted->set_value(true); },
              [self, granted](caf::error&) {
                granted->set_value(false);
                self->quit();
              });
      return {[self](die_atom) { self->quit(); }};
    });
    if (fut.wait_for(20s) != std::future_status::ready || !fut.get()) {
      fail("thread " + std::to_string(t_) + ": a lock holder did not get " + key);
      caf::anon_send_exit(holder, caf::exit_reason::kill);
      return;
    }
    auto value = data();
    auto t0 = clock_type::now();
    auto pending = (*self_)->request(store, std::chrono::seconds{20}, set_atom::value, key,
                                     value, write_options{});
    if (kill)
      caf::anon_send_exit(holder, caf::exit_reason::kill);
    else
      caf::anon_send(holder, die_atom::value);
    holder = nullptr;
    pending.receive(
      [&](receipt& r) {
        auto ms = std::chrono::duration<double, std::milli>(clock_type::now() - t0).count();
        max_dead_holder_release_ms = std::max(max_dead_holder_release_ms, ms);
        model[key] = value;
        record(key, r.revision, op_set);
      },
      [&](caf::error& err) {
        fail("thread " + std::to_string(t_) + ": write behind a dead lock holder of " + key
             + ": " + text(err));
      });
    store_.system().clock().cancel_request_timeout(self_->ptr(), pending.id());
  }

  int t_;
  std::string prefix_;
  layered& store_;
  std::mt19937_64 rng_;
  caf::scoped_actor* self_ = nullptr;
  uint64_t n_ = 0;
  uint64_t pushed_ = 0;
};

// -- subscribers -------------------------------------------------------------------------------

/// The oracle: lossless, every key, resumed from its last revision every few seconds.
struct oracle_state {
  std::mutex mtx;
  uint64_t generation = 0;
  uint64_t last = 0;
  uint64_t resumes = 0;
  std::vector<seen_event> events;
  watch_handle handle;
};

void oracle_subscribe(layered& store, const std::shared_ptr<oracle_state>& o) {
  uint64_t gen = 0;
  subscribe_options opts;
  opts.mode = watch_mode::lossless;
  {
    std::lock_guard<std::mutex> guard{o->mtx};
    gen = ++o->generation;
    opts.resume = o->last > 0;
    opts.since = o->last;
    ++o->resumes;
  }
  // Events still on their way to the previous subscriber are ignored from here on: the new
  // one replays them from the history.
  o->handle.stop();
  auto on_event = [o, gen](const event& ev) {
    std::lock_guard<std::mutex> guard{o->mtx};
    if (o->generation != gen)
      return;
    if (ev.revision <= o->last)
      fail("oracle: revision " + std::to_string(ev.revision) + " after "
           + std::to_string(o->last) + " (duplicate or out of order)");
    o->last = ev.revision;
    o->events.push_back(seen_event{ev.revision, id_of(ev.key),
                                   ev.op == event_op::set ? op_set : op_del});
    book_bytes += sizeof(seen_event);
  };
  auto on_lag = [](const lagged& notice) {
    fail("oracle (lossless) got a lagged notice: dropped " + std::to_string(notice.dropped)
         + ", resume from " + std::to_string(notice.resume_from)
         + (notice.ended ? ", ended" : ""));
  };
  auto w = store.watch("*/*/*", on_event, opts, on_lag);
  if (!w) {
    fail("oracle subscribe (since " + std::to_string(opts.since) + "): " + text(w.error()));
    return;
  }
  o->handle = std::move(*w);
}

/// A subscriber that comes and goes: drop mode, resumes from the oracle's position when it
/// starts, one of a few patterns.
struct transient_state {
  std::mutex mtx;
  std::string pattern;
  int thread = -1; // -1: any
  int group = -1;
  uint64_t since = 0;
  bool stopped = false;
  std::deque<seen_event> entries;
  uint64_t mismatched = 0;
  watch_handle handle;

  bool covers(uint64_t id) const {
    return (thread < 0 || static_cast<int>(id >> 56) == thread)
           && (group < 0 || static_cast<int>((id >> 48) & 0xff) == group);
  }
};

std::shared_ptr<transient_state> start_transient(layered& store, std::mt19937_64& rng,
                                                 int threads, uint64_t since) {
  auto s = std::make_shared<transient_state>();
  switch (rng() % 3) {
    case 0:
      s->thread = static_cast<int>(rng() % threads);
      s->pattern = "s" + std::to_string(s->thread) + "/*/*";
      break;
    case 1:
      s->group = static_cast<int>(rng() % 8);
      s->pattern = "*/g" + std::to_string(s->group) + "/*";
      break;
    default:
      s->pattern = "*/*/*";
  }
  s->since = since;
  subscribe_options opts;
  opts.resume = true;
  opts.since = since;
  auto w = store.watch(
    s->pattern,
    [s](const event& ev) {
      std::lock_guard<std::mutex> guard{s->mtx};
      if (s->stopped)
        return;
      auto id = id_of(ev.key);
      if (!s->covers(id))
        ++s->mismatched;
      s->entries.push_back(seen_event{ev.revision, id, ev.op == event_op::set ? op_set : op_del});
      book_bytes += sizeof(seen_event);
    },
    opts,
    [s](const lagged& notice) {
      std::lock_guard<std::mutex> guard{s->mtx};
      if (s->stopped)
        return;
      s->entries.push_back(seen_event{notice.resume_from, notice.dropped, op_notice});
    });
  if (!w) {
    fail("subscribe " + s->pattern + " since " + std::to_string(since) + ": " + text(w.error()));
    return nullptr;
  }
  s->handle = std::move(*w);
  return s;
}

void stop_transient(transient_state& s) {
  {
    std::lock_guard<std::mutex> guard{s.mtx};
    s.stopped = true;
  }
  s.handle.stop();
}

/// A subscriber that never acknowledges: it parks every response promise.
struct stalled_state {
  std::vector<caf::response_promise> parked;
  uint64_t events = 0;
  static inline const char* name = "ooo.soak.stalled";
};

caf::behavior stalled_subscriber(caf::stateful_actor<stalled_state>* self) {
  return {
    [=](const event_batch& batch) -> caf::result<void> {
      self->state.events += batch.events.size();
      self->state.parked.push_back(self->make_response_promise());
      return caf::delegated<void>{};
    },
    [=](const lagged&) {
      // nop
    },
    [=](caf::get_atom) { return self->state.events; },
  };
}

// -- checks ------------------------------------------------------------------------------------

/// Checks a transient subscriber against the oracle: every event it got is the oracle's event
/// of that revision; the matching events it did not get, between two it got, are exactly the
/// ones its `lagged` notices announced.
void check_transient(transient_state& s, const std::vector<seen_event>& truth, size_t index,
                     uint64_t& events, uint64_t& dropped) {
  std::lock_guard<std::mutex> guard{s.mtx};
  auto where = "subscriber #" + std::to_string(index) + " (" + s.pattern + ", since "
               + std::to_string(s.since) + "): ";
  if (s.mismatched > 0)
    fail(where + std::to_string(s.mismatched) + " events for keys outside its pattern");
  auto pos = std::upper_bound(truth.begin(), truth.end(), s.since,
                              [](uint64_t rev, const seen_event& e) { return rev < e.revision; });
  auto next_expected = [&] {
    while (pos != truth.end() && !s.covers(pos->id))
      ++pos;
  };
  uint64_t announced = 0;
  for (auto& e : s.entries) {
    if (e.op == op_notice) {
      announced += e.id;
      dropped += e.id;
      continue;
    }
    ++events;
    uint64_t skipped = 0;
    next_expected();
    while (pos != truth.end() && pos->revision < e.revision) {
      ++skipped;
      ++pos;
      next_expected();
    }
    if (pos == truth.end() || pos->revision != e.revision || pos->id != e.id
        || pos->op != e.op) {
      fail(where + "event at revision " + std::to_string(e.revision) + " for "
           + describe(e.id) + " is not the oracle's (duplicate, out of order, or wrong)");
      return;
    }
    if (skipped != announced) {
      fail(where + "missed " + std::to_string(skipped) + " events before revision "
           + std::to_string(e.revision) + ", its notices announced " + std::to_string(announced));
      return;
    }
    announced = 0;
    ++pos;
  }
  uint64_t rest = 0;
  for (next_expected(); pos != truth.end(); ++pos, next_expected())
    ++rest;
  if (announced > rest)
    fail(where + "notices announced " + std::to_string(announced) + " dropped events, only "
         + std::to_string(rest) + " came after its last event");
}

/// Checks the oracle's events against what the writers did: per key the same changes in the
/// same order, sets at the revisions the writers got back.
void check_oracle(std::vector<op_record>& writes, const std::vector<seen_event>& truth) {
  std::sort(writes.begin(), writes.end(), [](const op_record& x, const op_record& y) {
    return x.id != y.id ? x.id < y.id : x.seq < y.seq;
  });
  std::vector<seen_event> by_key = truth;
  std::stable_sort(by_key.begin(), by_key.end(),
                   [](const seen_event& x, const seen_event& y) { return x.id < y.id; });
  if (writes.size() != by_key.size())
    fail("oracle saw " + std::to_string(by_key.size()) + " events, the writers made "
         + std::to_string(writes.size()) + " visible changes");
  size_t reported = 0;
  for (size_t i = 0; i < std::min(writes.size(), by_key.size()) && reported < 5; ++i) {
    auto& w = writes[i];
    auto& e = by_key[i];
    if (w.id != e.id || w.op != e.op || (w.op == op_set && w.revision != e.revision)) {
      fail("change #" + std::to_string(i) + " in key order: writer " + describe(w.id) + " "
           + (w.op == op_set ? "set" : "del") + " at " + std::to_string(w.revision)
           + ", oracle " + describe(e.id) + " " + (e.op == op_set ? "set" : "del") + " at "
           + std::to_string(e.revision));
      ++reported;
    }
  }
}

// -- memory ------------------------------------------------------------------------------------

size_t rss_bytes() {
  FILE* f = std::fopen("/proc/self/statm", "r");
  if (!f)
    return 0;
  unsigned long size = 0;
  unsigned long resident = 0;
  auto n = std::fscanf(f, "%lu %lu", &size, &resident);
  std::fclose(f);
  return n == 2 ? resident * static_cast<size_t>(sysconf(_SC_PAGESIZE)) : 0;
}

double mib(size_t x) {
  return static_cast<double>(x) / (1024.0 * 1024.0);
}

// -- store -------------------------------------------------------------------------------------

constexpr size_t shard_count_opt = 4;

std::unique_ptr<layered> open_store(const std::string& dir, const options& opts) {
  auto adapter = rocksdb_adapter::open(dir, durability::async);
  if (!adapter) {
    fail("open " + dir + ": " + text(adapter.error()));
    return nullptr;
  }
  layered_config cfg;
  cfg.persistent = std::move(*adapter);
  cfg.mode = durability::async;
  auto store = std::make_unique<layered>(std::move(cfg), opts);
  store->timeout(std::chrono::seconds{30});
  if (auto ok = store->start(); !ok) {
    fail("start: " + text(ok.error()));
    return nullptr;
  }
  return store;
}

std::map<std::string, object> snapshot(layered& store) {
  std::map<std::string, object> result;
  auto keys = store.keys("");
  if (!keys) {
    fail("keys: " + text(keys.error()));
    return result;
  }
  for (auto& key : *keys) {
    auto obj = store.get(key);
    if (!obj)
      fail("get " + key + ": " + text(obj.error()));
    else
      result.emplace(key, std::move(*obj));
  }
  return result;
}

template <class F>
bool eventually(F cond, std::chrono::milliseconds limit = 10s) {
  auto until = clock_type::now() + limit;
  while (clock_type::now() < until) {
    if (cond())
      return true;
    std::this_thread::sleep_for(10ms);
  }
  return cond();
}

struct config {
  double duration = 60;
  std::string data_dir;
  int threads = 4;
  uint64_t seed = 0;
};

void usage() {
  std::cerr << "usage: ooo-soak [--duration SECONDS] [--data-dir DIR] [--threads N] [--seed N]\n"
               "  --duration  seconds of mixed workload (default 60)\n"
               "  --data-dir  RocksDB directory, created if missing, must be empty (default: a\n"
               "              temporary directory, removed at the end)\n"
               "  --threads   writer threads (default 4)\n"
               "  --seed      random seed (default: from the clock; printed)\n";
}

int run(const config& cfg, const std::string& dir) {
  auto t_start = clock_type::now();
  options opts;
  opts.shards = shard_count_opt;
  std::shared_ptr<std::atomic<uint64_t>> stalled_id = std::make_shared<std::atomic<uint64_t>>(0);
  auto stalled_drops = std::make_shared<std::atomic<uint64_t>>(0);
  opts.on_drop = [stalled_id, stalled_drops](uint64_t id, const event&) {
    if (id == stalled_id->load())
      ++*stalled_drops;
  };
  auto store = open_store(dir, opts);
  if (!store)
    return 1;
  if (auto r = store->set(counter_key, "0"); !r) {
    fail("set counter: " + text(r.error()));
    return 1;
  }
  auto counter_rev = store->stats()->revision;
  // The stalled subscriber: drop mode, every key, never acknowledges.
  auto stalled = store->system().spawn(stalled_subscriber);
  {
    caf::scoped_actor self{store->system()};
    auto id = ask<uint64_t>(self, store->handle(), 10s, caf::subscribe_atom::value,
                            std::string{"*/*/*"}, caf::actor_cast<caf::actor>(stalled),
                            subscribe_options{});
    if (!id) {
      fail("subscribe stalled: " + text(id.error()));
      return 1;
    }
    *stalled_id = *id;
  }
  auto oracle = std::make_shared<oracle_state>();
  // The counter's initial set (revision 1) happened before the oracle: it starts after it.
  oracle->last = counter_rev;
  oracle_subscribe(*store, oracle);

  std::vector<std::unique_ptr<writer>> writers;
  for (int t = 0; t < cfg.threads; ++t)
    writers.push_back(std::make_unique<writer>(t, *store, cfg.seed * 1000 + t));
  auto deadline = t_start + std::chrono::duration_cast<clock_type::duration>(
                              std::chrono::duration<double>(cfg.duration));
  std::vector<std::thread> threads;
  for (auto& w : writers)
    threads.emplace_back([&w, deadline] { w->run(deadline); });

  // The main thread: subscribers come and go, the oracle resumes, RSS is sampled.
  std::mt19937_64 rng{cfg.seed ^ 0x5eed};
  std::vector<std::shared_ptr<transient_state>> open_subs;
  std::vector<std::shared_ptr<transient_state>> closed_subs;
  size_t rss_start = rss_bytes();
  size_t rss_warm = 0;
  size_t rss_max = 0;
  size_t rss_max_adjusted = 0;
  size_t rss_bound = 0;
  bool rss_exceeded = false;
  std::string rss_failure;
  auto warm_at = t_start + std::chrono::duration_cast<clock_type::duration>(
                             std::chrono::duration<double>(cfg.duration * 0.2));
  auto next_sample = clock_type::now();
  auto next_sub_change = clock_type::now() + 200ms;
  auto next_resume = clock_type::now() + 3s;
  auto next_progress = clock_type::now() + 5s;
  uint64_t last_ops = 0;
  while (clock_type::now() < deadline && failure_count == 0) {
    auto now = clock_type::now();
    if (now >= next_sample) {
      next_sample += 1s;
      auto rss = rss_bytes();
      auto book = book_bytes.load();
      auto adjusted = rss > book ? rss - book : 0;
      rss_max = std::max(rss_max, rss);
      rss_max_adjusted = std::max(rss_max_adjusted, adjusted);
      if (rss_warm == 0 && now >= warm_at) {
        rss_warm = adjusted;
        rss_bound = 2 * rss_warm + (size_t{64} << 20);
      }
      if (rss_warm != 0 && adjusted > rss_bound && !rss_exceeded) {
        rss_exceeded = true;
        std::ostringstream out;
        out.precision(1);
        out << std::fixed << "RSS (minus the soak's logs) " << mib(adjusted)
            << " MiB exceeds the bound " << mib(rss_bound) << " MiB (2 x " << mib(rss_warm)
            << " MiB at 20% + 64 MiB)";
        rss_failure = out.str();
      }
    }
    if (now >= next_sub_change) {
      next_sub_change += 250ms;
      if (open_subs.size() < 6 && rng() % 2 == 0) {
        uint64_t since = 0;
        {
          std::lock_guard<std::mutex> guard{oracle->mtx};
          since = oracle->last;
        }
        if (auto s = start_transient(*store, rng, cfg.threads, since))
          open_subs.push_back(std::move(s));
      }
      if (!open_subs.empty() && rng() % 3 == 0) {
        auto i = rng() % open_subs.size();
        stop_transient(*open_subs[i]);
        closed_subs.push_back(std::move(open_subs[i]));
        open_subs.erase(open_subs.begin() + static_cast<std::ptrdiff_t>(i));
      }
    }
    if (now >= next_resume) {
      next_resume += 3s;
      oracle_subscribe(*store, oracle);
    }
    if (now >= next_progress) {
      next_progress += 5s;
      uint64_t ops = 0;
      std::ostringstream slow;
      for (auto& w : writers) {
        ops += w->done.load();
        auto started = w->op_started_ns.load();
        auto age = started == 0 ? 0.0 : (now.time_since_epoch().count() - started) / 1e9;
        if (age > 1.0)
          slow << ", a " << kind_names[w->current_kind.load()] << " has run " << age << " s";
      }
      std::cerr << "-- " << static_cast<int>(std::chrono::duration<double>(now - t_start).count())
                << " s: " << ops << " ops (+" << ops - last_ops << "), RSS "
                << static_cast<int>(mib(rss_bytes())) << " MiB, logs "
                << static_cast<int>(mib(book_bytes.load())) << " MiB" << slow.str()
                << std::endl;
      last_ops = ops;
    }
    std::this_thread::sleep_for(20ms);
  }
  for (auto& th : threads)
    th.join();
  auto workload_seconds = std::chrono::duration<double>(clock_type::now() - t_start).count();
  if (rss_exceeded)
    fail(rss_failure);
  if (rss_warm == 0)
    fail("the run ended before the RSS warm-up sample (20% of the duration)");

  // -- quiesce ---------------------------------------------------------------------------------
  uint64_t hidden = 0;
  uint64_t increments = 0;
  for (auto& w : writers) {
    hidden += w->hidden;
    increments += w->increments;
  }
  auto stats = store->stats();
  if (!stats) {
    fail("stats: " + text(stats.error()));
    return 1;
  }
  auto final_revision = stats->revision;
  // Every revision after the counter's first set is an oracle event or a silent delete.
  if (!eventually(
        [&] {
          std::lock_guard<std::mutex> guard{oracle->mtx};
          return oracle->events.size() + hidden + counter_rev >= final_revision;
        },
        30s))
    fail("the oracle did not catch up with revision " + std::to_string(final_revision));
  std::this_thread::sleep_for(300ms);
  for (auto& s : open_subs) {
    stop_transient(*s);
    closed_subs.push_back(std::move(s));
  }
  open_subs.clear();

  // -- stats -----------------------------------------------------------------------------------
  store_stats st;
  eventually([&] {
    auto x = store->stats();
    if (x)
      st = *x;
    return x && st.locks == 0 && st.lock_waiters == 0 && st.subscribers == 2;
  });
  if (st.locks != 0 || st.lock_waiters != 0)
    fail("stats after the workload: " + std::to_string(st.locks) + " locks, "
         + std::to_string(st.lock_waiters) + " lock waiters (want 0, 0)");
  if (st.subscribers != 2)
    fail("stats: " + std::to_string(st.subscribers)
         + " subscribers after the transients stopped (want 2: oracle + stalled)");
  if (st.revision != final_revision)
    fail("the revision moved after the workload: " + std::to_string(final_revision) + " -> "
         + std::to_string(st.revision));
  uint64_t parked = 0;
  {
    caf::scoped_actor self{store->system()};
    self->request(stalled, 5s, caf::get_atom::value)
      .receive([&](uint64_t n) { parked = n; },
               [&](caf::error& err) { fail("stalled subscriber: " + text(err)); });
  }
  // A unit (a glob delete) is delivered whole, so the last batch may reach past the window;
  // never by more than a glob delete of this workload removes (it stays well under 1000 keys).
  if (parked < opts.watch_window || parked >= opts.watch_window + 1000)
    fail("the stalled subscriber holds " + std::to_string(parked) + " events, want the window ("
         + std::to_string(opts.watch_window) + ") plus at most the rest of one unit");
  caf::anon_send_exit(stalled, caf::exit_reason::kill);
  stalled = nullptr;
  if (!eventually([&] {
        auto x = store->stats();
        return x && x->subscribers == 1;
      }))
    fail("a dead subscriber stays registered (want 1 subscriber: the oracle)");
  oracle->handle.stop();
  if (!eventually([&] {
        auto x = store->stats();
        return x && x->subscribers == 0;
      }))
    fail("a stopped watch stays registered (want 0 subscribers)");

  // -- events ----------------------------------------------------------------------------------
  std::vector<seen_event> truth;
  {
    std::lock_guard<std::mutex> guard{oracle->mtx};
    truth = oracle->events;
  }
  if (truth.size() + hidden + counter_rev != final_revision)
    fail("revisions: " + std::to_string(truth.size()) + " events + " + std::to_string(hidden)
         + " silent deletes + " + std::to_string(counter_rev) + " initial != revision "
         + std::to_string(final_revision));
  std::vector<op_record> writes;
  for (auto& w : writers) {
    writes.insert(writes.end(), w->log.begin(), w->log.end());
    w->log.clear();
  }
  check_oracle(writes, truth);
  writes = {};
  uint64_t transient_events = 0;
  uint64_t transient_dropped = 0;
  for (size_t i = 0; i < closed_subs.size(); ++i)
    check_transient(*closed_subs[i], truth, i, transient_events, transient_dropped);

  // -- memory = model --------------------------------------------------------------------------
  std::map<std::string, bytes> model;
  for (auto& w : writers)
    model.insert(w->model.begin(), w->model.end());
  auto counter_text = std::to_string(increments);
  model[counter_key] = to_bytes(counter_text);
  auto before = snapshot(*store);
  {
    std::map<std::string, bytes> in_memory;
    for (auto& [key, obj] : before)
      in_memory.emplace(key, obj.data);
    if (in_memory != model) {
      size_t shown = 0;
      for (auto& [key, value] : model) {
        auto i = in_memory.find(key);
        if (shown < 5 && (i == in_memory.end() || i->second != value)) {
          fail("memory != model at " + key
               + (i == in_memory.end() ? " (missing)" : " (value differs)"));
          ++shown;
        }
      }
      for (auto& [key, value] : in_memory)
        if (shown < 10 && model.count(key) == 0) {
          fail("memory has " + key + ", the model does not");
          ++shown;
        }
      if (shown == 0)
        fail("memory != model");
    }
  }
  auto counter_obj = before.find(counter_key);
  if (counter_obj == before.end()
      || std::string(counter_obj->second.data.begin(), counter_obj->second.data.end())
           != counter_text)
    fail("the locked counter is not " + counter_text + ": lost increments (mutual exclusion)");

  // -- restart: memory = disk ------------------------------------------------------------------
  if (auto ok = store->close(); !ok)
    fail("close: " + text(ok.error()));
  store.reset();
  auto restart_t0 = clock_type::now();
  store = open_store(dir, opts);
  if (!store)
    return 1;
  auto restart_ms =
    std::chrono::duration<double, std::milli>(clock_type::now() - restart_t0).count();
  auto after = snapshot(*store);
  if (after != before) {
    size_t shown = 0;
    for (auto& [key, obj] : before) {
      auto i = after.find(key);
      if (shown < 5 && (i == after.end() || !(i->second == obj))) {
        fail("disk != memory at " + key + (i == after.end() ? " (missing)" : " (fields differ)"));
        ++shown;
      }
    }
    if (after.size() != before.size())
      fail("disk has " + std::to_string(after.size()) + " keys, memory had "
           + std::to_string(before.size()));
  }
  auto st2 = store->stats();
  if (!st2 || st2->revision != final_revision)
    fail("revision after restart: " + (st2 ? std::to_string(st2->revision) : "?") + ", want "
         + std::to_string(final_revision));
  // The retained history survived too: resuming near the end replays the oracle's tail.
  auto tail_since = final_revision > 2000 ? final_revision - 2000 : 0;
  std::vector<seen_event> expected_tail;
  for (auto& e : truth)
    if (e.revision > tail_since)
      expected_tail.push_back(e);
  auto replay = std::make_shared<std::pair<std::mutex, std::vector<seen_event>>>();
  {
    subscribe_options ro;
    ro.resume = true;
    ro.since = tail_since;
    ro.mode = watch_mode::lossless;
    auto w = store->watch(
      "*/*/*",
      [replay](const event& ev) {
        std::lock_guard<std::mutex> guard{replay->first};
        replay->second.push_back(
          seen_event{ev.revision, id_of(ev.key), ev.op == event_op::set ? op_set : op_del});
      },
      ro);
    if (!w) {
      fail("resume after restart since " + std::to_string(tail_since) + ": " + text(w.error()));
    } else {
      eventually([&] {
        std::lock_guard<std::mutex> guard{replay->first};
        return replay->second.size() >= expected_tail.size();
      });
      std::this_thread::sleep_for(100ms);
      std::lock_guard<std::mutex> guard{replay->first};
      auto same = replay->second.size() == expected_tail.size()
                  && std::equal(expected_tail.begin(), expected_tail.end(),
                                replay->second.begin(), [](auto& x, auto& y) {
                                  return x.revision == y.revision && x.id == y.id && x.op == y.op;
                                });
      if (!same)
        fail("resume after restart since " + std::to_string(tail_since) + ": got "
             + std::to_string(replay->second.size()) + " events, the oracle saw "
             + std::to_string(expected_tail.size()) + " (or they differ)");
    }
  }
  auto final_stats = store->stats();
  store.reset();

  // -- summary ---------------------------------------------------------------------------------
  std::array<uint64_t, k_count> counts{};
  std::array<double, k_count> max_ms{};
  uint64_t conflicts = 0;
  double dead_ms = 0;
  for (auto& w : writers) {
    for (size_t k = 0; k < k_count; ++k) {
      counts[k] += w->counts[k];
      max_ms[k] = std::max(max_ms[k], w->max_ms[k]);
    }
    conflicts += w->conflicts;
    dead_ms = std::max(dead_ms, w->max_dead_holder_release_ms);
  }
  uint64_t total = 0;
  std::printf("\nooo-soak: %.1f s of workload, %d writer threads, %zu shards, durability async, "
              "seed %llu, data dir %s\n\n",
              workload_seconds, cfg.threads, shard_count_opt,
              static_cast<unsigned long long>(cfg.seed), dir.c_str());
  std::printf("| operation | count | ops/s | slowest |\n|---|---|---|---|\n");
  double slowest = 0;
  for (size_t k = 0; k < k_count; ++k) {
    total += counts[k];
    slowest = std::max(slowest, max_ms[k]);
    std::printf("| %s | %llu | %.0f | %.1f ms |\n", kind_names[k],
                static_cast<unsigned long long>(counts[k]),
                static_cast<double>(counts[k]) / workload_seconds, max_ms[k]);
  }
  std::printf("| **all** | %llu | %.0f | %.1f ms |\n\n", static_cast<unsigned long long>(total),
              static_cast<double>(total) / workload_seconds, slowest);
  std::printf("revisions: %llu (%llu events, %llu silent deletes); CAS conflicts (expected): "
              "%llu; counter increments under lock: %llu\n",
              static_cast<unsigned long long>(final_revision),
              static_cast<unsigned long long>(truth.size()),
              static_cast<unsigned long long>(hidden), static_cast<unsigned long long>(conflicts),
              static_cast<unsigned long long>(increments));
  std::printf("oracle (lossless, */*/*): %zu events, %llu resumes; %zu transient subscribers: "
              "%llu events, %llu dropped (announced)\n",
              truth.size(), static_cast<unsigned long long>(oracle->resumes), closed_subs.size(),
              static_cast<unsigned long long>(transient_events),
              static_cast<unsigned long long>(transient_dropped));
  std::printf("stalled subscriber: %llu events parked, %llu dropped; store dropped_events "
              "total: %llu\n",
              static_cast<unsigned long long>(parked),
              static_cast<unsigned long long>(stalled_drops->load()),
              static_cast<unsigned long long>(st.dropped_events));
  std::printf("dead lock holders: %llu, slowest write behind one: %.1f ms\n",
              static_cast<unsigned long long>(counts[k_dead_holder]), dead_ms);
  std::printf("keys at the end: %zu; restart (open + load + start): %.0f ms; history after "
              "restart: %llu events\n",
              before.size(), restart_ms,
              static_cast<unsigned long long>(final_stats ? final_stats->history : 0));
  std::printf("RSS: start %.1f MiB, at 20%% %.1f MiB (minus logs), max %.1f MiB (%.1f minus "
              "logs), bound %.1f MiB; the soak's own logs %.1f MiB\n",
              mib(rss_start), mib(rss_warm), mib(rss_max), mib(rss_max_adjusted), mib(rss_bound),
              mib(book_bytes.load()));
  std::fflush(stdout);
  return failure_count == 0 ? 0 : 1;
}

} // namespace

int main(int argc, char** argv) {
  config cfg;
  cfg.seed = static_cast<uint64_t>(clock_type::now().time_since_epoch().count()) % 1000000;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) {
        usage();
        std::exit(2);
      }
      return argv[++i];
    };
    try {
      if (arg == "--duration")
        cfg.duration = std::stod(next());
      else if (arg == "--data-dir")
        cfg.data_dir = next();
      else if (arg == "--threads")
        cfg.threads = std::stoi(next());
      else if (arg == "--seed")
        cfg.seed = std::stoull(next());
      else {
        usage();
        return arg == "--help" || arg == "-h" ? 0 : 2;
      }
    } catch (const std::exception&) {
      usage();
      return 2;
    }
  }
  if (cfg.duration <= 0 || cfg.threads < 1 || cfg.threads > 200) {
    usage();
    return 2;
  }
  namespace fs = std::filesystem;
  std::string dir = cfg.data_dir;
  bool temporary = dir.empty();
  if (temporary) {
    char tmpl[] = "/tmp/ooo-soak-XXXXXX";
    if (!mkdtemp(tmpl)) {
      std::perror("mkdtemp");
      return 2;
    }
    dir = tmpl;
  } else {
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (!fs::is_directory(dir) || !fs::is_empty(dir)) {
      std::cerr << "ooo-soak: --data-dir " << dir << " must be an empty directory\n";
      return 2;
    }
  }
  // A hung store fails the soak instead of hanging it.
  std::thread([limit = cfg.duration + 110] {
    std::this_thread::sleep_for(std::chrono::duration<double>(limit));
    std::cerr << "ooo-soak: watchdog: still running after " << limit << " s, aborting"
              << std::endl;
    std::_Exit(3);
  }).detach();
  int rc = 1;
  try {
    rc = run(cfg, dir);
  } catch (const std::exception& e) {
    fail(std::string{"exception: "} + e.what());
  }
  if (temporary) {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
  if (failure_count != 0) {
    std::printf("\nFAILED: %zu invariant violations; the first ones:\n", failure_count.load());
    std::lock_guard<std::mutex> guard{failure_mtx};
    for (auto& msg : failure_msgs)
      std::printf("  - %s\n", msg.c_str());
    return 1;
  }
  std::printf("\nall invariants hold\n");
  return rc;
}

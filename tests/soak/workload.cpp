#include "tests/soak/workload.hpp"

#include <algorithm>
#include <future>
#include <map>
#include <memory>
#include <utility>
#include <vector>

#include "caf/actor_clock.hpp"
#include "caf/event_based_actor.hpp"
#include "caf/send.hpp"

#include "messages/errc.hpp"
#include "tests/soak/failures.hpp"
#include "tests/soak/key_ids.hpp"
#include "tests/soak/soak_store.hpp"

namespace ooo::storage::soak {

using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;

const char* kind_names[k_count] = {"set",          "get",        "push",       "del",
                                   "del_silent",   "glob_del",   "list",       "lock_cycle",
                                   "get_and_lock", "counter",    "cas",        "dead_holder"};

namespace {

using die_atom = caf::atom_constant<caf::atom("die")>;

bytes to_bytes(const std::string& x) {
  return bytes(x.begin(), x.end());
}

} // namespace

writer::writer(int t, layered& store, uint64_t seed)
  : t_(t), prefix_("s" + std::to_string(t) + "/"), store_(store), rng_(seed) {
  // nop
}

void writer::run(clock_type::time_point deadline) {
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
  while (clock_type::now() < deadline && failure_count() == 0) {
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

std::string writer::group_key(uint64_t g, uint64_t i) {
  return prefix_ + "g" + std::to_string(g) + "/" + std::to_string(i);
}

std::string writer::random_key() {
  return group_key(rng_() % 8, rng_() % 32);
}

bytes writer::data() {
  auto s = "t" + std::to_string(t_) + "#" + std::to_string(++n_) + ":";
  s.append(8 + rng_() % 120, static_cast<char>('a' + rng_() % 26));
  return to_bytes(s);
}

bool writer::ok(bool cond, const std::string& what) {
  if (!cond)
    fail("thread " + std::to_string(t_) + ": " + what);
  return cond;
}

void writer::do_set() {
  auto key = random_key();
  auto value = data();
  auto r = store_.write(key, value);
  if (!ok(static_cast<bool>(r), "set " + key + ": " + (r ? "" : text(r.error()))))
    return;
  ok(r->key == key && r->revision > 0, "set " + key + ": odd receipt");
  model.put(key, std::move(value), r->revision);
}

void writer::do_get() {
  auto key = random_key();
  auto r = store_.get(key);
  auto expected = model.find(key);
  if (expected == nullptr) {
    ok(!r && is(r.error(), errc::not_found),
       "get " + key + ": expected not_found, got " + (r ? "a value" : text(r.error())));
    return;
  }
  if (ok(static_cast<bool>(r), "get " + key + ": " + (r ? "" : text(r.error()))))
    ok(r->data == *expected && r->path == key, "get " + key + ": value differs from model");
}

void writer::do_push() {
  auto pattern = prefix_ + "q/*";
  auto value = data();
  auto r = ask<receipt>(*self_, store_.handle(), 20s, push_atom::value, pattern, value);
  if (!ok(static_cast<bool>(r), "push " + pattern + ": " + (r ? "" : text(r.error()))))
    return;
  ok(matches(pattern, r->key) && model.find(r->key) == nullptr, "push: bad key " + r->key);
  model.put(r->key, std::move(value), r->revision);
  ++pushed_;
  // Keep the queue short: a glob delete empties it from time to time.
  if (pushed_ % 64 == 0)
    glob_del(pattern);
}

void writer::do_del(bool silent) {
  auto key = rng_() % 8 == 0 ? prefix_ + "cas/" + std::to_string(rng_() % 4) : random_key();
  auto r = silent ? store_.del_silent(key) : store_.del(key);
  if (model.find(key) == nullptr) {
    ok(!r && is(r.error(), errc::not_found),
       "del " + key + ": expected not_found, got " + (r ? "a count" : text(r.error())));
    return;
  }
  if (!ok(r && *r == 1, "del " + key + ": " + (r ? "count " + std::to_string(*r)
                                                 : text(r.error()))))
    return;
  if (silent)
    model.erase_silent(key);
  else
    model.erase(key);
}

void writer::glob_del(const std::string& pattern) {
  std::vector<std::string> doomed;
  for (auto& [key, value] : model.values())
    if (matches(pattern, key))
      doomed.push_back(key);
  auto r = store_.del(pattern);
  if (!ok(r && *r == doomed.size(),
          "del " + pattern + ": expected " + std::to_string(doomed.size()) + ", got "
            + (r ? std::to_string(*r) : text(r.error()))))
    return;
  for (auto& key : doomed)
    model.erase(key);
}

void writer::do_glob_del() {
  if (rng_() % 4 == 0)
    glob_del(prefix_ + "q/*");
  else
    glob_del(prefix_ + "g" + std::to_string(rng_() % 8) + "/*");
}

void writer::do_list() {
  auto pattern = rng_() % 5 == 0 ? prefix_ + "q/*" : prefix_ + "g" + std::to_string(rng_() % 8)
                                                        + "/*";
  std::map<std::string, bytes> expected;
  for (auto& [key, value] : model.values())
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
void writer::do_lock_cycle() {
  auto key = random_key();
  auto locked = store_.lock(key);
  if (!ok(static_cast<bool>(locked), "lock " + key + ": "
                                       + (locked ? "" : text(locked.error()))))
    return;
  auto value = data();
  if (rng_() % 2 == 0) {
    auto r = store_.write(key, value);
    if (ok(static_cast<bool>(r), "locked set " + key + ": " + (r ? "" : text(r.error()))))
      model.put(key, value, r->revision);
    auto u = store_.unlock(key);
    ok(static_cast<bool>(u), "unlock " + key + ": " + (u ? "" : text(u.error())));
  } else {
    set_and_unlock(key, value);
  }
}

void writer::set_and_unlock(const std::string& key, const bytes& value) {
  auto r = store_.set_and_unlock(key, std::string_view{value.data(), value.size()});
  if (!ok(static_cast<bool>(r), "set_and_unlock " + key + ": " + (r ? "" : text(r.error()))))
    return;
  model.assign(key, value);
  // The facade answers the index only; the thread owns the key, so a get shows the revision.
  auto obj = store_.get(key);
  if (ok(obj && obj->data == value, "get after set_and_unlock " + key))
    model.log_set(key, obj->revision);
}

void writer::do_get_and_lock() {
  auto key = random_key();
  auto r = store_.get_and_lock(key);
  auto expected = model.find(key);
  if (expected == nullptr) {
    ok(!r && is(r.error(), errc::not_found),
       "get_and_lock " + key + ": expected not_found, got " + (r ? "a value" : text(r.error())));
    return;
  }
  if (!ok(static_cast<bool>(r), "get_and_lock " + key + ": " + (r ? "" : text(r.error()))))
    return;
  ok(r->data == *expected, "get_and_lock " + key + ": value differs from model");
  set_and_unlock(key, data());
}

/// Increments the shared counter under the store's lock; every thread contends for it.
void writer::do_counter() {
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
      model.log_set(counter_key, r->revision);
    }
  }
  auto u = ask<void>(self, store, 20s, unlock_atom::value, counter_key, *token);
  ok(static_cast<bool>(u), "unlock counter: " + (u ? "" : text(u.error())));
}

/// Compare-and-set: a stale expected revision must lose without a change, the current one
/// must win; 0 must win only on a missing key.
void writer::do_cas() {
  auto key = prefix_ + "cas/" + std::to_string(rng_() % 4);
  auto expected = model.find(key);
  write_options opts;
  auto value = data();
  if (expected == nullptr) {
    opts.expected_revision = 0;
  } else {
    auto cur = store_.get(key);
    if (!ok(cur && cur->data == *expected, "cas get " + key))
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
  model.put(key, std::move(value), r->revision);
}

/// An actor takes a lock with a 10-minute lease and dies (killed or quitting) while a write of
/// this thread waits for the key: the write must go through once the holder is gone.
void writer::do_dead_holder() {
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
  auto pending = (*self_)->request(store, std::chrono::seconds{20}, set_atom::value, key, value,
                                   write_options{});
  if (kill)
    caf::anon_send_exit(holder, caf::exit_reason::kill);
  else
    caf::anon_send(holder, die_atom::value);
  holder = nullptr;
  pending.receive(
    [&](receipt& r) {
      auto ms = std::chrono::duration<double, std::milli>(clock_type::now() - t0).count();
      max_dead_holder_release_ms = std::max(max_dead_holder_release_ms, ms);
      model.put(key, value, r.revision);
    },
    [&](caf::error& err) {
      fail("thread " + std::to_string(t_) + ": write behind a dead lock holder of " + key + ": "
           + text(err));
    });
  store_.system().clock().cancel_request_timeout(self_->ptr(), pending.id());
}

} // namespace ooo::storage::soak

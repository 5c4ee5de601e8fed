#include "actors/shard.hpp"

#include <algorithm>
#include <deque>
#include <functional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "caf/actor_system.hpp"
#include "caf/event_based_actor.hpp"
#include "caf/mailbox_element.hpp"

#include "actors/key_index.hpp"
#include "messages/atoms.hpp"
#include "messages/errc.hpp"
#include "messages/key.hpp"

namespace ooo::storage {

namespace {

/// An operation that had to wait; it re-runs its whole admission check when resumed.
using task = std::function<void()>;

/// Per-key bookkeeping, present only while a key is locked or has work queued or in flight.
struct key_state {
  /// The lock's token; 0 when unlocked.
  uint64_t token = 0;
  caf::actor_addr holder;
  /// A write of this key is at the persistence actor.
  bool in_flight = false;
  /// Operations that wait for the lock (writes and lock requests of non-holders).
  std::deque<task> lock_waiters;
  /// Operations that arrived while a write was in flight, in arrival order.
  std::deque<task> commit_waiters;

  bool idle() const {
    return token == 0 && !in_flight && lock_waiters.empty() && commit_waiters.empty();
  }
};

class shard : public caf::event_based_actor {
public:
  shard(caf::actor_config& cfg, shard_config sc)
    : caf::event_based_actor(cfg),
      opts_(std::move(sc.opts)),
      persistence_(std::move(sc.persistence)),
      revision_(std::move(sc.revision)),
      log_(std::move(sc.log)) {
    // nop
  }

  const char* name() const override {
    return "ooo.shard";
  }

  caf::behavior make_behavior() override {
    set_down_handler([this](caf::down_msg& msg) {
      hold_or_run([this, source = msg.source] { on_holder_down(source); });
    });
    return {
      [this](set_atom, std::string& key, bytes& data, write_options& opts) -> caf::result<receipt> {
        if (closing_)
          return make_error(errc::not_active, key);
        if (auto err = check_write(key, data))
          return err;
        auto rp = make_response_promise();
        hold_or_run([this, key = std::move(key), data = std::move(data), opts, rp]() mutable {
          do_set(std::move(key), std::move(data), opts, rp);
        });
        return caf::delegated<receipt>{};
      },
      [this](caf::get_atom, std::string& key) -> caf::result<object> {
        if (auto err = check_exact(key))
          return err;
        auto rp = make_response_promise();
        hold_or_run([this, key = std::move(key), rp]() mutable { do_get(key, rp); });
        return caf::delegated<object>{};
      },
      [this](del_atom, std::string& key) -> caf::result<uint64_t> {
        return del(std::move(key), false);
      },
      [this](del_silent_atom, std::string& key) -> caf::result<uint64_t> {
        return del(std::move(key), true);
      },
      [this](lock_atom, std::string& key, uint32_t lease_ms) -> caf::result<uint64_t> {
        return lock(std::move(key), lease_ms, false);
      },
      [this](get_lock_atom, std::string& key, uint32_t lease_ms) -> caf::result<lock_grant> {
        if (auto err = check_lockable(key))
          return err;
        lock(std::move(key), lease_ms, true);
        return caf::delegated<lock_grant>{};
      },
      [this](unlock_atom, std::string& key, uint64_t token) -> caf::result<void> {
        if (auto err = check_lockable(key))
          return err;
        auto rp = make_response_promise();
        hold_or_run([this, key = std::move(key), token, rp]() mutable {
          auto i = keys_.find(key);
          if (i == keys_.end() || token == 0 || i->second.token != token) {
            rp.deliver(make_error(errc::lock_not_found, key));
            return;
          }
          release_lock(key);
          rp.deliver(caf::unit);
        });
        return caf::delegated<void>{};
      },
      [this](lease_atom, std::string& key, uint64_t token) {
        hold_or_run([this, key = std::move(key), token] {
          auto i = keys_.find(key);
          if (i != keys_.end() && i->second.token == token)
            release_lock(key);
        });
      },
      [this](list_atom, std::string& pattern, list_options& opts) -> caf::result<std::vector<object>> {
        if (closing_)
          return make_error(errc::not_active, pattern);
        auto rp = make_response_promise();
        hold_or_run([this, pattern = std::move(pattern), opts, rp]() mutable {
          rp.deliver(list(pattern, opts));
        });
        return caf::delegated<std::vector<object>>{};
      },
      [this](keys_atom, std::string& pattern, list_options& opts) -> caf::result<std::vector<std::string>> {
        if (closing_)
          return make_error(errc::not_active, pattern);
        auto rp = make_response_promise();
        hold_or_run([this, pattern = std::move(pattern), opts, rp]() mutable {
          std::vector<std::string> out;
          index_.keys(pattern, opts.created_from, opts.created_to, out);
          std::sort(out.begin(), out.end());
          if (opts.limit > 0 && out.size() > static_cast<size_t>(opts.limit))
            out.resize(static_cast<size_t>(opts.limit));
          rp.deliver(std::move(out));
        });
        return caf::delegated<std::vector<std::string>>{};
      },
      [this](collect_atom, std::string& pattern) -> caf::result<std::vector<std::string>> {
        if (closing_)
          return make_error(errc::not_active, pattern);
        frozen_ = true;
        collect_pattern_ = std::move(pattern);
        collect_promise_ = make_response_promise();
        answer_collect_when_quiet();
        return caf::delegated<std::vector<std::string>>{};
      },
      [this](apply_atom, uint64_t first_revision, uint64_t unit, bool silent) -> uint64_t {
        auto keys = std::move(collected_);
        collected_.clear();
        for (auto& key : keys)
          apply_erase(key, first_revision++, silent, unit);
        thaw();
        return keys.size();
      },
      [this](release_atom) {
        collected_.clear();
        thaw();
      },
      [this](load_atom, std::vector<object>& objects) {
        for (auto& obj : objects) {
          index_.insert(obj.path, obj.created);
          auto key = obj.path;
          values_.insert_or_assign(std::move(key), std::move(obj));
        }
      },
      [this](publish_atom) { publish(); },
      [this](stats_atom) {
        store_stats result;
        result.keys = values_.size();
        for (auto& [key, ks] : keys_) {
          result.locks += ks.token != 0 ? 1 : 0;
          result.lock_waiters += ks.lock_waiters.size();
        }
        return result;
      },
      [this](caf::close_atom) -> caf::result<void> {
        closing_ = true;
        close_promise_ = make_response_promise();
        // Parked operations re-run, see `closing_` and answer `not_active`; operations whose
        // write is in flight finish normally.
        auto held = std::move(held_);
        held_.clear();
        frozen_ = false;
        for (auto& t : held)
          t();
        std::vector<std::string> locked;
        for (auto& [key, ks] : keys_)
          if (!ks.lock_waiters.empty())
            locked.push_back(key);
        for (auto& key : locked) {
          auto waiters = std::move(keys_[key].lock_waiters);
          for (auto& t : waiters)
            t();
        }
        answer_close_when_quiet();
        return caf::delegated<void>{};
      },
    };
  }

private:
  // -- admission -------------------------------------------------------------------------------

  /// While a glob delete or clear holds this shard (between `collect` and `apply`/`release`),
  /// new operations wait in `held_`; otherwise they run now.
  template <class F>
  void hold_or_run(F&& f) {
    if (frozen_)
      held_.emplace_back(std::forward<F>(f));
    else
      f();
  }

  caf::error check_exact(const std::string& key) {
    if (closing_)
      return make_error(errc::not_active, key);
    if (auto code = check_key(key); code != errc::none)
      return make_error(code, key);
    return {};
  }

  caf::error check_lockable(const std::string& key) {
    if (closing_)
      return make_error(errc::not_active, key);
    if (auto code = check_key(key); code != errc::none)
      return make_error(code == errc::glob_not_allowed ? errc::cant_lock_glob : code, key);
    return {};
  }

  caf::error check_write(const std::string& key, const bytes& data) {
    if (auto err = check_exact(key))
      return err;
    if (data.empty())
      return make_error(errc::invalid_data, "empty value for " + key);
    if (data.size() > opts_->max_value_size)
      return make_error(errc::too_large, key + ": " + std::to_string(data.size())
                                           + " bytes, the limit is "
                                           + std::to_string(opts_->max_value_size));
    return {};
  }

  /// The queue an operation on `key` must wait in, or null if it may run now: the lock's
  /// queue while someone other than `token` holds the lock (only for writers and lockers), else
  /// the commit queue while a write of the key is in flight.
  std::deque<task>* queue_for(const std::string& key, bool respects_lock, uint64_t token = 0) {
    if (keys_.empty())
      return nullptr;
    auto i = keys_.find(key);
    if (i == keys_.end())
      return nullptr;
    auto& ks = i->second;
    if (respects_lock && ks.token != 0 && ks.token != token)
      return &ks.lock_waiters;
    return ks.in_flight ? &ks.commit_waiters : nullptr;
  }

  /// Parks the operation `retry` in `queue` unless the key's lock queue is full, in which case
  /// the operation fails with `limit_exceeded`.
  template <class F>
  void park(std::deque<task>& queue, const std::string& key, caf::response_promise& rp,
            F&& retry) {
    if (queue.size() >= opts_->max_lock_waiters) {
      rp.deliver(make_error(errc::limit_exceeded, key + ": too many operations wait for it"));
      return;
    }
    queue.emplace_back(std::forward<F>(retry));
  }

  void forget_if_idle(const std::string& key) {
    auto i = keys_.find(key);
    if (i != keys_.end() && i->second.idle())
      keys_.erase(i);
  }

  // -- operations ------------------------------------------------------------------------------

  void do_set(std::string key, bytes data, write_options opts, caf::response_promise rp) {
    if (closing_) {
      rp.deliver(make_error(errc::not_active, key));
      return;
    }
    if (auto queue = queue_for(key, true, opts.token)) {
      park(*queue, key, rp, [this, key, data = std::move(data), opts, rp]() mutable {
        do_set(std::move(key), std::move(data), opts, rp);
      });
      return;
    }
    auto i = values_.find(key);
    const object* old = i == values_.end() ? nullptr : &i->second;
    if (opts.expected_revision >= 0) {
      auto current = old ? old->revision : 0;
      if (current != static_cast<uint64_t>(opts.expected_revision)) {
        rp.deliver(make_error(errc::conflict, key + " is at revision " + std::to_string(current)));
        return;
      }
    }
    if (opts.unlock) {
      auto k = keys_.find(key);
      if (opts.token == 0 || k == keys_.end() || k->second.token != opts.token) {
        rp.deliver(make_error(errc::lock_not_found, key));
        return;
      }
    }
    object obj;
    if (opts.created != 0) {
      obj.created = opts.created;
      obj.updated = opts.updated;
    } else {
      auto ts = ooo::storage::now(*opts_);
      obj.created = old ? old->created : ts;
      obj.updated = old ? ts : 0;
    }
    obj.path = std::move(key);
    obj.data = std::move(data);
    auto release_token = opts.unlock ? opts.token : 0;
    if (!persistence_) {
      obj.revision = revision_->fetch_add(1) + 1;
      apply_put(std::move(obj), release_token, rp);
      return;
    }
    auto batch_key = obj.path;
    begin_commit(batch_key);
    std::vector<change> batch{change{batch_key, true, obj, !muted(*opts_, batch_key)}};
    request(persistence_, caf::infinite, commit_atom::value, std::move(batch))
      .then(
        [this, obj = std::move(obj), release_token, rp](uint64_t revision) mutable {
          obj.revision = revision;
          auto key = obj.path;
          apply_put(std::move(obj), release_token, rp);
          end_commit(key);
        },
        [this, key = batch_key, rp](caf::error& err) mutable {
          rp.deliver(std::move(err));
          end_commit(key);
        });
  }

  void apply_put(object&& obj, uint64_t release_token, caf::response_promise& rp) {
    receipt result{obj.path, obj.revision, obj.created, obj.updated};
    auto i = values_.find(obj.path);
    if (i == values_.end()) {
      index_.insert(obj.path, obj.created);
      i = values_.emplace(obj.path, std::move(obj)).first;
    } else {
      if (i->second.created != obj.created) {
        index_.erase(obj.path, i->second.created);
        index_.insert(obj.path, obj.created);
      }
      i->second = std::move(obj);
    }
    announce(event_op::set, i->first, i->second.revision, i->second, i->second.revision);
    if (release_token != 0)
      release_lock(result.key);
    rp.deliver(std::move(result));
  }

  void do_get(const std::string& key, caf::response_promise& rp) {
    if (closing_) {
      rp.deliver(make_error(errc::not_active, key));
      return;
    }
    if (auto queue = queue_for(key, false)) {
      park(*queue, key, rp, [this, key, rp]() mutable { do_get(key, rp); });
      return;
    }
    if (opts_->before_read)
      opts_->before_read(key);
    auto i = values_.find(key);
    if (i == values_.end())
      rp.deliver(make_error(errc::not_found, key));
    else
      rp.deliver(i->second);
  }

  caf::result<uint64_t> del(std::string key, bool silent) {
    if (auto err = check_exact(key))
      return err;
    auto rp = make_response_promise();
    hold_or_run([this, key = std::move(key), silent, rp]() mutable { do_del(key, silent, rp); });
    return caf::delegated<uint64_t>{};
  }

  void do_del(const std::string& key, bool silent, caf::response_promise& rp) {
    if (closing_) {
      rp.deliver(make_error(errc::not_active, key));
      return;
    }
    if (auto queue = queue_for(key, true)) {
      park(*queue, key, rp, [this, key, silent, rp]() mutable { do_del(key, silent, rp); });
      return;
    }
    if (values_.count(key) == 0) {
      rp.deliver(make_error(errc::not_found, key));
      return;
    }
    if (!persistence_) {
      apply_erase(key, revision_->fetch_add(1) + 1, silent);
      rp.deliver(uint64_t{1});
      return;
    }
    begin_commit(key);
    std::vector<change> batch{change{key, false, object{}, !silent && !muted(*opts_, key)}};
    request(persistence_, caf::infinite, commit_atom::value, std::move(batch))
      .then(
        [this, key, silent, rp](uint64_t revision) mutable {
          apply_erase(key, revision, silent);
          rp.deliver(uint64_t{1});
          end_commit(key);
        },
        [this, key, rp](caf::error& err) mutable {
          rp.deliver(std::move(err));
          end_commit(key);
        });
  }

  void apply_erase(const std::string& key, uint64_t revision, bool silent, uint64_t unit = 0) {
    auto i = values_.find(key);
    if (i == values_.end()) {
      // Cannot happen while the key is held for the commit; the revision still takes its place
      // in the event log's order, which must have no gaps.
      hide(revision);
      return;
    }
    auto old = std::move(i->second);
    values_.erase(i);
    index_.erase(key, old.created);
    if (silent) {
      hide(revision);
      return;
    }
    old.revision = revision;
    announce(event_op::del, key, revision, std::move(old), unit == 0 ? revision : unit);
  }

  caf::result<uint64_t> lock(std::string key, uint32_t lease_ms, bool with_value) {
    if (auto err = check_lockable(key))
      return err;
    // Before `make_response_promise`, which moves the sender out of the current message.
    auto holder = current_sender();
    auto rp = make_response_promise();
    hold_or_run([this, key = std::move(key), lease_ms, with_value, holder, rp]() mutable {
      do_lock(key, lease_ms, with_value, holder, rp);
    });
    return caf::delegated<uint64_t>{};
  }

  void do_lock(const std::string& key, uint32_t lease_ms, bool with_value,
               const caf::strong_actor_ptr& holder, caf::response_promise& rp) {
    if (closing_) {
      rp.deliver(make_error(errc::not_active, key));
      return;
    }
    if (auto queue = queue_for(key, true)) {
      park(*queue, key, rp, [this, key, lease_ms, with_value, holder, rp]() mutable {
        do_lock(key, lease_ms, with_value, holder, rp);
      });
      return;
    }
    auto i = values_.find(key);
    if (with_value && i == values_.end()) {
      rp.deliver(make_error(errc::not_found, key));
      return;
    }
    auto token = next_token();
    auto& ks = keys_[key];
    ks.token = token;
    ks.holder = caf::actor_cast<caf::actor_addr>(holder);
    // One monitor per holder, however many locks it takes: each monitor is an entry at the
    // holder, and a long-lived holder (a facade) takes millions of locks.
    if (holder && holders_[ks.holder]++ == 0)
      monitor(holder);
    auto lease = lease_ms > 0 ? std::chrono::milliseconds{lease_ms} : opts_->lock_lease;
    delayed_send(this, lease, lease_atom::value, key, token);
    if (with_value)
      rp.deliver(lock_grant{token, i->second});
    else
      rp.deliver(token);
  }

  /// Unlocks `key` and resumes its waiters in arrival order (the first lock request among them
  /// takes the lock again and the rest park behind it).
  void release_lock(const std::string& key) {
    auto i = keys_.find(key);
    if (i == keys_.end())
      return;
    i->second.token = 0;
    if (auto h = holders_.find(i->second.holder); h != holders_.end() && --h->second == 0) {
      demonitor(h->first);
      holders_.erase(h);
    }
    i->second.holder = nullptr;
    auto waiters = std::move(i->second.lock_waiters);
    i->second.lock_waiters.clear();
    forget_if_idle(key);
    for (auto& t : waiters)
      t();
  }

  void on_holder_down(const caf::actor_addr& source) {
    std::vector<std::string> held;
    for (auto& [key, ks] : keys_)
      if (ks.token != 0 && ks.holder == source)
        held.push_back(key);
    for (auto& key : held)
      release_lock(key);
  }

  uint64_t next_token() {
    // Tokens are unique per shard and never 0; the actor id makes them differ across shards.
    return (static_cast<uint64_t>(id()) << 40) | ++last_token_;
  }

  // -- persistence round trips -----------------------------------------------------------------

  void begin_commit(const std::string& key) {
    keys_[key].in_flight = true;
    ++in_flight_;
  }

  /// A write of `key` is answered: resume what waited for it, in arrival order.
  void end_commit(const std::string& key) {
    --in_flight_;
    auto i = keys_.find(key);
    if (i != keys_.end()) {
      i->second.in_flight = false;
      auto waiters = std::move(i->second.commit_waiters);
      i->second.commit_waiters.clear();
      forget_if_idle(key);
      for (auto& t : waiters)
        t();
    }
    answer_collect_when_quiet();
    answer_close_when_quiet();
  }

  // -- glob delete and clear -------------------------------------------------------------------

  /// Answers a pending `collect` once no write of this shard is in flight, so that the keys it
  /// reports are exactly what the following `apply` deletes.
  void answer_collect_when_quiet() {
    if (!collect_promise_.pending() || in_flight_ != 0)
      return;
    collected_.clear();
    if (collect_pattern_.empty()) {
      collected_.reserve(values_.size());
      for (auto& kv : values_)
        collected_.push_back(kv.first);
    } else {
      index_.keys(collect_pattern_, 0, 0, collected_);
    }
    collect_promise_.deliver(collected_);
    collect_promise_ = caf::response_promise{};
  }

  void thaw() {
    frozen_ = false;
    auto held = std::move(held_);
    held_.clear();
    for (auto& t : held)
      t();
  }

  void answer_close_when_quiet() {
    if (close_promise_.pending() && in_flight_ == 0) {
      close_promise_.deliver(caf::unit);
      close_promise_ = caf::response_promise{};
    }
  }

  // -- reads -----------------------------------------------------------------------------------

  std::vector<object> list(const std::string& pattern, const list_options& opts) {
    std::vector<const key_index::entry*> hits;
    auto limit = opts.limit > 0 ? static_cast<size_t>(opts.limit) : 0;
    index_.select(pattern, opts.created_from, opts.created_to, opts.ascending, limit, hits);
    std::vector<object> out;
    out.reserve(hits.size());
    for (auto* e : hits) {
      if (opts_->before_read)
        opts_->before_read(e->second);
      out.push_back(values_.find(e->second)->second);
    }
    return out;
  }

  // -- events ----------------------------------------------------------------------------------

  /// Runs `after_write_op`, queues the change's event (`value`: the new value, or the deleted
  /// one) and, once the batch is published (see `publish`), `after_write`.
  void announce(event_op op, const std::string& key, uint64_t revision, object value,
                uint64_t unit) {
    if (opts_->after_write_op)
      opts_->after_write_op(key, op);
    if (muted(*opts_, key)) {
      hide(revision);
    } else {
      schedule_publish();
      outbox_.push_back(event{revision, key, op, std::move(value), unit});
    }
    if (opts_->after_write)
      written_.push_back(key);
  }

  /// A change without an event still takes its place in the event log's revision order.
  void hide(uint64_t revision) {
    schedule_publish();
    hidden_.push_back(revision);
  }

  /// The first change of a batch asks the shard to publish after what its mailbox holds now,
  /// so that a busy shard sends one message to the event log per round, not per change.
  void schedule_publish() {
    if (outbox_.empty() && hidden_.empty())
      send(this, publish_atom::value);
  }

  void publish() {
    if (outbox_.empty() && hidden_.empty())
      return;
    send(log_, publish_atom::value, std::move(outbox_), std::move(hidden_));
    outbox_.clear();
    hidden_.clear();
    // `after_write` runs once the change's event is sent, as DESIGN.md promises.
    for (auto& key : written_)
      opts_->after_write(key);
    written_.clear();
  }

  // -- state -----------------------------------------------------------------------------------

  std::shared_ptr<const options> opts_;
  persistence_actor persistence_;
  std::shared_ptr<std::atomic<uint64_t>> revision_;

  std::unordered_map<std::string, object> values_;
  key_index index_;
  std::unordered_map<std::string, key_state> keys_;
  /// How many locks of this shard each monitored holder has.
  std::unordered_map<caf::actor_addr, size_t> holders_;
  caf::actor log_;
  std::vector<event> outbox_;
  std::vector<uint64_t> hidden_;
  /// Keys whose `after_write` hook runs after the next `publish`.
  std::vector<std::string> written_;

  /// Writes of this shard at the persistence actor.
  size_t in_flight_ = 0;
  uint64_t last_token_ = 0;

  bool frozen_ = false;
  std::deque<task> held_;
  std::string collect_pattern_;
  caf::response_promise collect_promise_;
  std::vector<std::string> collected_;

  bool closing_ = false;
  caf::response_promise close_promise_;
};

} // namespace

caf::actor spawn_shard(caf::actor_system& sys, shard_config cfg) {
  return sys.spawn<shard>(std::move(cfg));
}

} // namespace ooo::storage

#include "actors/shard.hpp"

#include <algorithm>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "caf/actor_system.hpp"
#include "caf/event_based_actor.hpp"

#include "actors/answer.hpp"
#include "actors/barriers.hpp"
#include "actors/event_outbox.hpp"
#include "actors/hook_call.hpp"
#include "actors/key_store.hpp"
#include "actors/key_table.hpp"
#include "actors/lease_table.hpp"
#include "actors/protocol.hpp"
#include "actors/replica_protocol.hpp"
#include "messages/errc.hpp"
#include "messages/key.hpp"

namespace ooo::storage {

namespace {

/// A write on its way to persistence, with what its caller waits for.
struct pending_write {
  change what;
  answer promise;
  /// Release this token's lock once committed (`set_and_unlock`).
  uint64_t release_token = 0;
  /// Answer a `del` (a count) rather than a `set` (a receipt).
  bool is_delete = false;
  bool silent = false;
};

class shard : public caf::event_based_actor {
public:
  shard(caf::actor_config& cfg, shard_config sc)
    : caf::event_based_actor(cfg),
      opts_(std::move(sc.opts)),
      persistence_(std::move(sc.persistence)),
      revision_(std::move(sc.revision)),
      log_(std::move(sc.log)),
      lock_tokens_(std::move(sc.lock_tokens)) {
    // nop
  }

  const char* name() const override {
    return "ooo.shard";
  }

  caf::behavior make_behavior() override {
    set_down_handler([this](caf::down_msg& msg) { holder_down(msg.source); });
    return {
      // -- exact keys (from the router, or directly from a client) ------------------------------
      [this](set_atom, std::string& key, bytes& data, write_options& opts) -> caf::result<receipt> {
        if (auto err = check_write(key, data))
          return err;
        auto who = client();
        auto rp = make_response_promise();
        do_set(next_ticket(), who, std::move(key), std::move(data), opts, answer{rp});
        return caf::delegated<receipt>{};
      },
      [this](caf::get_atom, std::string& key) -> caf::result<object> {
        if (auto err = check_exact(key))
          return err;
        auto who = client();
        auto rp = make_response_promise();
        do_get(next_ticket(), who, std::move(key), answer{rp});
        return caf::delegated<object>{};
      },
      [this](del_atom, std::string& key) -> caf::result<deleted> {
        return del(std::move(key), false);
      },
      [this](del_silent_atom, std::string& key) -> caf::result<deleted> {
        return del(std::move(key), true);
      },
      [this](lock_atom, std::string& key, uint32_t lease_ms) -> caf::result<uint64_t> {
        if (auto err = check_lockable(key))
          return err;
        auto who = client();
        auto rp = make_response_promise();
        do_lock(next_ticket(), who, std::move(key), lease_ms, false, answer{rp});
        return caf::delegated<uint64_t>{};
      },
      [this](get_lock_atom, std::string& key, uint32_t lease_ms) -> caf::result<lock_grant> {
        if (auto err = check_lockable(key))
          return err;
        auto who = client();
        auto rp = make_response_promise();
        do_lock(next_ticket(), who, std::move(key), lease_ms, true, answer{rp});
        return caf::delegated<lock_grant>{};
      },
      [this](unlock_atom, std::string& key, uint64_t token) -> caf::result<void> {
        if (auto err = check_lockable(key))
          return err;
        auto who = client();
        auto rp = make_response_promise();
        do_unlock(next_ticket(), who, std::move(key), token, answer{rp});
        return caf::delegated<void>{};
      },
      // -- many exact-key requests in one message -----------------------------------------------
      [this](routed_atom, std::vector<routed_op>& ops) {
        auto self = caf::actor_cast<caf::strong_actor_ptr>(this);
        for (auto& op : ops) {
          answer to{caf::response_promise{self, std::move(op.source), std::move(op.stages),
                                          op.id}};
          run(std::move(op), std::move(to));
        }
      },
      [this](batch_atom, std::vector<batch_op>& ops, caf::actor_addr& who,
             uint64_t id) -> caf::result<std::vector<batch_result>> {
        auto part = std::make_shared<batch_part>();
        part->promise = make_response_promise();
        part->results.resize(ops.size());
        part->missing = ops.size();
        if (ops.empty())
          return std::vector<batch_result>{};
        // The client's later requests on these keys wait until the router has answered the
        // whole batch (`release`): they are answered after it.
        barriers::entry b;
        b.id = id;
        b.what = barriers::kind::batch;
        b.state = barriers::phase::ready;
        b.client = who;
        for (auto& x : ops)
          b.keys.push_back(x.key);
        std::sort(b.keys.begin(), b.keys.end());
        for (size_t i = 0; i < ops.size(); ++i) {
          routed_op op;
          auto& x = ops[i];
          op.kind = x.kind == batch_kind::set   ? routed_op::set
                    : x.kind == batch_kind::del ? routed_op::del
                                                : routed_op::get;
          op.key = std::move(x.key);
          op.data = std::move(x.data);
          op.opts = x.opts;
          op.client = who;
          run(std::move(op), answer{part, i});
        }
        b.ticket = next_ticket();
        barriers_.add(std::move(b));
        return caf::delegated<std::vector<batch_result>>{};
      },
      // -- operations over every shard (from the router) ---------------------------------------
      [this](list_atom, std::string& pattern, list_options& opts, caf::actor_addr& who,
             uint64_t id) -> caf::result<std::vector<object>> {
        if (closing_)
          return make_error(errc::not_active, pattern);
        auto rp = make_response_promise();
        query(id, std::move(who), std::move(pattern), rp,
              [this, opts, rp](const std::string& p) mutable { rp.deliver(list(p, opts)); });
        return caf::delegated<std::vector<object>>{};
      },
      [this](keys_atom, std::string& pattern, list_options& opts, caf::actor_addr& who,
             uint64_t id) -> caf::result<std::vector<std::string>> {
        if (closing_)
          return make_error(errc::not_active, pattern);
        auto rp = make_response_promise();
        query(id, std::move(who), std::move(pattern), rp,
              [this, opts, rp](const std::string& p) mutable {
          std::vector<std::string> out;
          store_.keys(p, opts.created_from, opts.created_to, out);
          std::sort(out.begin(), out.end());
          if (opts.limit > 0 && out.size() > static_cast<size_t>(opts.limit))
            out.resize(static_cast<size_t>(opts.limit));
          rp.deliver(std::move(out));
        });
        return caf::delegated<std::vector<std::string>>{};
      },
      [this](prepare_atom, uint64_t id, caf::actor_addr& who,
             std::string& pattern) -> caf::result<void> {
        if (closing_)
          return make_error(errc::not_active, pattern);
        auto rp = make_response_promise();
        prepare(id, std::move(who), std::move(pattern), rp);
        return caf::delegated<void>{};
      },
      [this](collect_atom, uint64_t id) -> caf::result<std::vector<std::string>> {
        auto b = barriers_.find(id);
        if (b == nullptr)
          return make_error(errc::not_active, "no such glob delete");
        b->state = barriers::phase::collected;
        collecting_.emplace_back(id, make_response_promise());
        answer_collects();
        return caf::delegated<std::vector<std::string>>{};
      },
      [this](apply_atom, uint64_t id, uint64_t first_revision, uint64_t unit, bool silent) {
        return apply_glob(id, first_revision, unit, silent);
      },
      [this](release_atom, uint64_t id) { end_barrier(id); },
      // -- lifecycle ---------------------------------------------------------------------------
      [this](load_atom, std::vector<object>& objects) {
        store_.clear();
        for (auto& obj : objects)
          store_.put(obj);
      },
      [this](start_atom) { closing_ = false; },
      [this](caf::close_atom) -> caf::result<void> {
        closing_ = true;
        close_promise_ = make_response_promise();
        // Parked operations re-run, see `closing_` and answer `not_active`; writes on their way
        // to persistence finish normally.
        for (auto& op : keys_.take_all_parked())
          op.run();
        for (auto& [id, rp] : collecting_)
          rp.deliver(make_error(errc::not_active, "the store is closing"));
        collecting_.clear();
        barriers_.advance_waiting();
        answer_close();
        return caf::delegated<void>{};
      },
      [this](stats_atom) {
        store_stats result;
        result.keys = store_.size();
        result.locks = keys_.locks();
        result.lock_waiters = keys_.lock_waiters();
        return result;
      },
      // -- to itself ---------------------------------------------------------------------------
      [this](commit_atom) { send_writes(); },
      [this](lease_atom) { expire_leases(); },
      // -- from a replicated group (replica_protocol.hpp) ----------------------------------------
      [this](replica_apply_atom, std::vector<change>& changes, std::vector<uint64_t>& units,
             std::vector<uint64_t>& hidden) { apply_replicated(changes, units, hidden); },
      [this](drop_locks_atom) { drop_locks(); },
    };
  }

private:
  // -- admission -------------------------------------------------------------------------------

  uint64_t next_ticket() {
    return ++ticket_;
  }

  /// Who sent the current message (the router delegates exact-key requests with their sender).
  /// Call it before `make_response_promise`, which moves the sender out of the message.
  caf::actor_addr client() {
    return caf::actor_cast<caf::actor_addr>(current_sender());
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

  /// True if the op may run now; otherwise it is parked (to re-run `retry` later) or refused.
  template <class F>
  bool admit(const std::string& key, uint64_t ticket, const caf::actor_addr& who, op_class cls,
             uint64_t token, answer& rp, F&& retry) {
    if (closing_) {
      rp(make_error(errc::not_active, key));
      return false;
    }
    if (!barriers_.empty() && barriers_.blocks(key, who, ticket)) {
      keys_.park(key, parked_op{ticket, who, cls, token, std::forward<F>(retry)});
      return false;
    }
    auto obstacle = keys_.check(key, who, cls, token, ticket);
    if (obstacle == key_table::obstacle::none)
      return true;
    // The limit is on waiters for a lock, not on ops queued behind a write in flight.
    if (obstacle == key_table::obstacle::locked
        && keys_.lock_waiters(key) >= opts_->max_lock_waiters) {
      rp(make_error(errc::limit_exceeded, key + ": "
                                                    + std::to_string(opts_->max_lock_waiters)
                                                    + " operations already wait for its lock"));
      return false;
    }
    keys_.park(key, parked_op{ticket, who, cls, token, std::forward<F>(retry)});
    return false;
  }

  /// Runs `before_read` for `key`; on an exception answers `hook_failed` and returns false.
  bool before_read(const std::string& key, answer& rp) {
    if (!opts_->before_read)
      return true;
    auto failure = call_hook("before_read", key, [&] { opts_->before_read(key); });
    if (failure.empty())
      return true;
    rp(make_error(errc::hook_failed, key + ": before_read threw: " + failure));
    return false;
  }

  // -- exact-key operations --------------------------------------------------------------------

  /// Runs one request of a routed batch or a batch: the same checks and paths as a single one.
  void run(routed_op op, answer to) {
    auto& key = op.key;
    auto ticket = next_ticket();
    switch (op.kind) {
      case routed_op::set:
        if (auto err = check_write(key, op.data))
          return to(std::move(err));
        return do_set(ticket, op.client, std::move(key), std::move(op.data), op.opts, to);
      case routed_op::get:
        if (auto err = check_exact(key))
          return to(std::move(err));
        return do_get(ticket, op.client, std::move(key), to);
      case routed_op::del:
      case routed_op::del_silent:
        if (auto err = check_exact(key))
          return to(std::move(err));
        return do_del(ticket, op.client, std::move(key), op.kind == routed_op::del_silent, to);
      case routed_op::lock:
      case routed_op::get_lock:
        if (auto err = check_lockable(key))
          return to(std::move(err));
        return do_lock(ticket, op.client, std::move(key), op.lease_ms,
                       op.kind == routed_op::get_lock, to);
      case routed_op::unlock:
        if (auto err = check_lockable(key))
          return to(std::move(err));
        return do_unlock(ticket, op.client, std::move(key), op.token, to);
    }
  }

  void do_set(uint64_t ticket, caf::actor_addr who, std::string key, bytes data,
              write_options opts, answer rp) {
    auto retry = [=]() mutable { do_set(ticket, who, key, data, opts, rp); };
    if (!admit(key, ticket, who, op_class::write, opts.token, rp, retry))
      return;
    auto* old = store_.find(key);
    if (opts.expected_revision >= 0) {
      auto current = old ? old->revision : 0;
      if (current != static_cast<uint64_t>(opts.expected_revision)) {
        rp(make_error(errc::conflict, key + " is at revision " + std::to_string(current)));
        return;
      }
    }
    // A token is a fence: a write that names one happens only while that token holds the
    // lock, so a holder whose lease ran out cannot overwrite what others wrote since.
    if ((opts.unlock || opts.token != 0)
        && (opts.token == 0 || keys_.token(key) != opts.token)) {
      rp(make_error(errc::lock_not_found, key));
      return;
    }
    object obj;
    if (opts.keep_times) {
      obj.created = opts.created;
      obj.updated = opts.updated;
    } else {
      auto ts = ooo::storage::now(*opts_);
      obj.created = old ? old->created : ts;
      obj.updated = old ? ts : 0;
    }
    obj.path = key;
    obj.data = std::move(data);
    pending_write w;
    w.what = change{key, true, std::move(obj), !muted(*opts_, key)};
    w.promise = std::move(rp);
    w.release_token = opts.unlock ? opts.token : 0;
    write(ticket, who, std::move(w));
  }

  caf::result<deleted> del(std::string key, bool silent) {
    if (auto err = check_exact(key))
      return err;
    auto who = client();
    auto rp = make_response_promise();
    do_del(next_ticket(), who, std::move(key), silent, answer{rp});
    return caf::delegated<deleted>{};
  }

  void do_del(uint64_t ticket, caf::actor_addr who, std::string key, bool silent,
              answer rp) {
    auto retry = [=]() mutable { do_del(ticket, who, key, silent, rp); };
    if (!admit(key, ticket, who, op_class::write, 0, rp, retry))
      return;
    if (store_.find(key) == nullptr) {
      rp(make_error(errc::not_found, key));
      return;
    }
    pending_write w;
    w.what = change{key, false, object{}, !silent && !muted(*opts_, key)};
    w.promise = std::move(rp);
    w.is_delete = true;
    w.silent = silent;
    write(ticket, who, std::move(w));
  }

  void do_get(uint64_t ticket, caf::actor_addr who, std::string key, answer rp) {
    auto retry = [=]() mutable { do_get(ticket, who, key, rp); };
    if (!admit(key, ticket, who, op_class::read, 0, rp, retry))
      return;
    if (!before_read(key, rp))
      return;
    if (auto obj = store_.get(key))
      rp(std::move(*obj));
    else
      rp(make_error(errc::not_found, key));
  }

  void do_lock(uint64_t ticket, caf::actor_addr who, std::string key, uint32_t lease_ms,
               bool with_value, answer rp) {
    auto retry = [=]() mutable { do_lock(ticket, who, key, lease_ms, with_value, rp); };
    if (!admit(key, ticket, who, op_class::lock, 0, rp, retry))
      return;
    if (with_value && !before_read(key, rp))
      return;
    caf::optional<object> value;
    if (with_value && !(value = store_.get(key))) {
      rp(make_error(errc::not_found, key));
      return;
    }
    auto token = next_token();
    keys_.take_lock(key, token, who);
    // One monitor per holder, however many locks it takes: each monitor is an entry at the
    // holder, and a long-lived holder (a facade) takes millions of locks.
    if (who && holders_[who]++ == 0)
      monitor(who);
    auto lease = lease_ms > 0 ? std::chrono::milliseconds{lease_ms} : opts_->lock_lease;
    leases_.add(key, token, clock().now() + lease);
    arm_lease_timer();
    if (with_value)
      rp.reply(lock_grant{token, std::move(*value)});
    else
      rp.reply(token);
  }

  void do_unlock(uint64_t ticket, caf::actor_addr who, std::string key, uint64_t token,
                 answer rp) {
    auto retry = [=]() mutable { do_unlock(ticket, who, key, token, rp); };
    if (!admit(key, ticket, who, op_class::unlock, token, rp, retry))
      return;
    if (!release_lock(key, token)) {
      rp(make_error(errc::lock_not_found, key));
      return;
    }
    rp.reply(caf::unit);
    barriers_.advance_waiting();
  }

  uint64_t next_token() {
    if (lock_tokens_)
      return ++*lock_tokens_;
    // Unique per shard and never 0; the actor id makes them differ across shards.
    return (static_cast<uint64_t>(id()) << 40) | ++last_token_;
  }

  // -- locks -----------------------------------------------------------------------------------

  /// Releases `key`'s lock if `token` holds it, and everything that waited for it.
  bool release_lock(const std::string& key, uint64_t token) {
    auto holder = keys_.release_lock(key, token);
    if (!holder)
      return false;
    leases_.remove(token);
    if (auto h = holders_.find(holder); h != holders_.end() && --h->second == 0) {
      demonitor(h->first);
      holders_.erase(h);
    }
    return true;
  }

  /// Leadership changed hands: every lock ends, as if its lease ran out.
  void drop_locks() {
    std::vector<std::pair<std::string, uint64_t>> held;
    for (auto& [key, e] : keys_.entries())
      if (e.token != 0)
        held.emplace_back(key, e.token);
    for (auto& [key, token] : held)
      release_lock(key, token);
    barriers_.advance_waiting();
  }

  void holder_down(const caf::actor_addr& source) {
    for (auto& [key, token] : keys_.locks_of(source))
      release_lock(key, token);
    barriers_.advance_waiting();
  }

  /// Keeps one timer message pending for the earliest lease.
  void arm_lease_timer() {
    auto next = leases_.next();
    if (!next || (lease_timer_ && *lease_timer_ <= *next))
      return;
    lease_timer_ = *next;
    auto delay = std::max(caf::actor_clock::duration_type{0}, *next - clock().now());
    delayed_send(this, delay, lease_atom::value);
  }

  void expire_leases() {
    lease_timer_.reset();
    for (auto& [key, token] : leases_.expire(clock().now()))
      release_lock(key, token);
    arm_lease_timer();
    barriers_.advance_waiting();
  }

  // -- writes: one persistence commit per mailbox round ----------------------------------------

  /// Queues a write for this mailbox round's commit; until it is applied, everything else on
  /// its key waits.
  void write(uint64_t ticket, const caf::actor_addr& who, pending_write w) {
    keys_.begin_write(w.what.key, ticket, who);
    if (writes_.empty())
      send(this, commit_atom::value);
    writes_.emplace_back(std::move(w));
  }

  /// Commits the writes of this round as one batch: to persistence, or in memory mode at once
  /// with the next store-wide revisions.
  void send_writes() {
    if (writes_.empty())
      return;
    if (!persistence_) {
      auto batch = std::move(writes_);
      writes_.clear();
      auto first = revision_->fetch_add(batch.size()) + 1;
      for (auto& w : batch)
        w.what.value.revision = first++;
      ++commits_in_flight_;
      apply_writes(batch);
      end_writes(batch);
      return;
    }
    auto batch = std::make_shared<std::vector<pending_write>>(std::move(writes_));
    writes_.clear();
    std::vector<change> changes;
    changes.reserve(batch->size());
    for (auto& w : *batch)
      changes.push_back(w.what);
    ++commits_in_flight_;
    request(persistence_, caf::infinite, commit_atom::value, std::move(changes))
      .then(
        [this, batch](uint64_t first) {
          for (auto& w : *batch)
            w.what.value.revision = first++;
          apply_writes(*batch);
          end_writes(*batch);
        },
        [this, batch](caf::error& err) {
          for (auto& w : *batch)
            w.promise(err);
          end_writes(*batch);
        });
  }

  void end_writes(const std::vector<pending_write>& batch) {
    --commits_in_flight_;
    for (auto& w : batch)
      keys_.end_write(w.what.key);
    answer_collects();
    barriers_.advance_waiting();
    answer_close();
  }

  /// Makes committed writes visible: memory, events, hooks, then the answers.
  void apply_writes(std::vector<pending_write>& batch) {
    for (auto& w : batch) {
      if (w.is_delete) {
        erase(w.what.key, w.what.value.revision, w.silent, w.what.value.revision);
        continue;
      }
      auto& obj = w.what.value;
      obj.path = w.what.key;
      store_.put(obj);
      announce(event_op::set, w.what.key, obj.revision, obj, obj.revision);
      if (w.release_token != 0)
        release_lock(w.what.key, w.release_token);
    }
    // The events go to the event log before the answers: once a write is answered, its event
    // is in the log (a resume from before it finds it), and `after_write` (which the seed runs
    // before a write returns) runs after the event is out.
    publish();
    for (auto& w : batch) {
      if (w.is_delete)
        w.promise(deleted{1, w.what.value.revision});
      else
        w.promise(receipt{w.what.key, w.what.value.revision, w.what.value.created,
                                  w.what.value.updated});
    }
  }

  /// Stores a committed value (its `path` is the key) and announces it, as `apply_writes` does
  /// for this shard's own writes.
  void put(object&& obj) {
    store_.put(obj);
    announce(event_op::set, obj.path, obj.revision, obj, obj.revision);
  }

  /// A replicated group's committed changes that no write of this shard waits for: applied
  /// like this shard's own (see replica_protocol.hpp), whatever waits or is held here.
  void apply_replicated(std::vector<change>& changes, const std::vector<uint64_t>& units,
                        const std::vector<uint64_t>& hidden) {
    for (size_t i = 0; i < changes.size() && i < units.size(); ++i) {
      auto& ch = changes[i];
      if (ch.put)
        put(std::move(ch.value));
      else
        erase(ch.key, ch.value.revision, !ch.visible, units[i]);
    }
    for (auto revision : hidden)
      hide(revision);
    publish();
  }

  /// Removes `key` as the change of `revision` (part of `unit`) and announces it.
  void erase(const std::string& key, uint64_t revision, bool silent, uint64_t unit) {
    auto old = store_.erase(key);
    if (!old || silent) {
      // (No old value cannot happen while the key is held for the commit.) The revision still
      // takes its place in the event log's order, which must have no gaps.
      hide(revision);
      return;
    }
    old->revision = revision;
    announce(event_op::del, key, revision, std::move(*old), unit);
  }

  // -- queries and glob deletes ----------------------------------------------------------------

  /// A list or keys query: answers once the client's earlier ops on covered keys and every
  /// write in flight that arrived before it are done, then holds the client's later ops on
  /// covered keys until the router has answered (`release`).
  template <class F>
  void query(uint64_t id, caf::actor_addr who, std::string pattern, caf::response_promise rp,
             F reply_with) {
    barriers::entry b;
    b.id = id;
    b.what = barriers::kind::query;
    b.client = who;
    b.pattern = pattern;
    b.ticket = next_ticket();
    b.advance = [this, id, rp, reply_with]() mutable {
      auto e = barriers_.find(id);
      if (closing_) {
        rp.deliver(make_error(errc::not_active, e->pattern));
        barriers_.remove(id);
        return;
      }
      if (!query_ready(*e))
        return;
      e->state = barriers::phase::ready;
      reply_with(e->pattern);
    };
    barriers_.add(std::move(b));
    barriers_.find(id)->advance();
  }

  bool query_ready(const barriers::entry& q) {
    if (barriers_.earlier_of(q.client, q.ticket, q.pattern)
        || barriers_.collected_overlap(q.pattern))
      return false;
    for (auto& [key, e] : keys_.entries()) {
      if (!barriers::covers(q.pattern, key))
        continue;
      if (e.in_flight && e.flight_ticket < q.ticket)
        return false;
      for (auto& w : e.queue)
        if (w.client == q.client && w.ticket < q.ticket)
          return false;
    }
    return true;
  }

  /// A glob delete's first phase: prepared once the client's earlier ops on covered keys are
  /// done; from then on the client's later ops on covered keys wait for it.
  void prepare(uint64_t id, caf::actor_addr who, std::string pattern, caf::response_promise rp) {
    barriers::entry b;
    b.id = id;
    b.what = barriers::kind::glob;
    b.client = who;
    b.pattern = std::move(pattern);
    b.ticket = next_ticket();
    b.advance = [this, id, rp]() mutable {
      auto e = barriers_.find(id);
      if (closing_) {
        rp.deliver(make_error(errc::not_active, e->pattern));
        barriers_.remove(id);
        return;
      }
      if (barriers_.earlier_of(e->client, e->ticket, e->pattern))
        return;
      for (auto& [key, k] : keys_.entries()) {
        if (!barriers::covers(e->pattern, key))
          continue;
        if (k.in_flight && k.flight_client == e->client && k.flight_ticket < e->ticket)
          return;
        for (auto& w : k.queue)
          if (w.client == e->client && w.ticket < e->ticket)
            return;
      }
      e->state = barriers::phase::ready;
      rp.deliver(caf::unit);
    };
    barriers_.add(std::move(b));
    barriers_.find(id)->advance();
  }

  /// Answers each pending `collect` once no write of a covered key is in flight, so that the
  /// keys it reports are exactly what the following `apply` deletes.
  void answer_collects() {
    for (auto i = collecting_.begin(); i != collecting_.end();) {
      auto b = barriers_.find(i->first);
      if (b == nullptr) {
        i = collecting_.erase(i);
        continue;
      }
      bool busy = false;
      for (auto& [key, e] : keys_.entries())
        if (e.in_flight && barriers::covers(b->pattern, key)) {
          busy = true;
          break;
        }
      if (busy) {
        ++i;
        continue;
      }
      std::vector<std::string> keys;
      keys.reserve(b->pattern.empty() ? store_.size() : 0);
      store_.keys(b->pattern, 0, 0, keys);
      collected_[i->first] = keys;
      i->second.deliver(std::move(keys));
      i = collecting_.erase(i);
    }
  }

  /// Deletes what glob `id` collected. Other clients' ops on its keys run again; the client's
  /// own later ops wait for the router's `release`, which follows its answer.
  uint64_t apply_glob(uint64_t id, uint64_t first_revision, uint64_t unit, bool silent) {
    auto keys = std::move(collected_[id]);
    collected_.erase(id);
    for (auto& key : keys)
      erase(key, first_revision++, silent, unit);
    publish();
    if (auto b = barriers_.find(id)) {
      b->state = barriers::phase::ready;
      auto pattern = b->pattern;
      keys_.resume_if([&](const std::string& key) { return barriers::covers(pattern, key); });
      barriers_.advance_waiting();
    }
    return keys.size();
  }

  /// A query was answered or a glob delete applied or given up: what it held runs now.
  void end_barrier(uint64_t id) {
    auto b = barriers_.find(id);
    if (b == nullptr)
      return;
    auto ended = std::move(*b);
    barriers_.remove(id);
    collected_.erase(id);
    keys_.resume_if([&](const std::string& key) { return barriers::covers(ended, key); });
    barriers_.advance_waiting();
  }

  // -- reads -----------------------------------------------------------------------------------

  std::vector<object> list(const std::string& pattern, const list_options& opts) {
    auto limit = opts.limit > 0 ? static_cast<size_t>(opts.limit) : 0;
    return store_.list(pattern, opts.created_from, opts.created_to, opts.ascending, limit);
  }

  // -- events ----------------------------------------------------------------------------------

  /// Runs `after_write_op`, queues the change's event (`value`: the new value, or the deleted
  /// one) and remembers the key for `after_write` (which runs once the event is published).
  void announce(event_op op, const std::string& key, uint64_t revision, object value,
                uint64_t unit) {
    if (opts_->after_write_op)
      call_hook("after_write_op", key, [&] { opts_->after_write_op(key, op); });
    if (muted(*opts_, key))
      hide(revision);
    else
      outbox_.add(event{revision, key, op, std::move(value), unit});
    if (opts_->after_write)
      outbox_.written(key);
  }

  /// A change without an event still takes its place in the event log's revision order.
  void hide(uint64_t revision) {
    outbox_.hide(revision);
  }

  /// Sends the events of the batch just applied to the event log (one message per commit
  /// batch, not per change), then runs `after_write`.
  void publish() {
    if (!outbox_.empty())
      send(log_, publish_atom::value, outbox_.take_events(), outbox_.take_hidden());
    // `after_write` runs once the change's event is sent, as DESIGN.md promises.
    for (auto& key : outbox_.take_written())
      call_hook("after_write", key, [&] { opts_->after_write(key); });
  }

  void answer_close() {
    if (close_promise_.pending() && commits_in_flight_ == 0 && writes_.empty()) {
      close_promise_.deliver(caf::unit);
      close_promise_ = caf::response_promise{};
    }
  }

  // -- state -----------------------------------------------------------------------------------

  std::shared_ptr<const options> opts_;
  persistence_actor persistence_;
  std::shared_ptr<std::atomic<uint64_t>> revision_;
  caf::actor log_;
  std::shared_ptr<std::atomic<uint64_t>> lock_tokens_;

  key_store store_;
  key_table keys_;
  barriers barriers_;
  lease_table leases_;
  std::optional<caf::actor_clock::time_point> lease_timer_;
  /// How many locks of this shard each monitored holder has.
  std::unordered_map<caf::actor_addr, size_t> holders_;
  event_outbox outbox_;

  /// Writes of this round, not yet sent to persistence.
  std::vector<pending_write> writes_;
  size_t commits_in_flight_ = 0;

  /// Glob deletes whose `collect` waits for writes in flight, and what each collected.
  std::vector<std::pair<uint64_t, caf::response_promise>> collecting_;
  std::unordered_map<uint64_t, std::vector<std::string>> collected_;

  uint64_t ticket_ = 0;
  uint64_t last_token_ = 0;

  /// Not serving: before the store's first `start`, and after `close`. A client that routes to
  /// shards itself (see `shards` in store_actor.hpp) is refused then, as the store would.
  bool closing_ = true;
  caf::response_promise close_promise_;
};

} // namespace

caf::actor spawn_shard(caf::actor_system& sys, shard_config cfg) {
  return sys.spawn<shard>(std::move(cfg));
}

} // namespace ooo::storage

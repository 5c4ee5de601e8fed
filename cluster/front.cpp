#include "cluster/front.hpp"

#include <chrono>
#include <functional>
#include <unordered_map>
#include <vector>

#include "caf/actor_system.hpp"
#include "caf/send.hpp"
#include "caf/stateful_actor.hpp"
#include "caf/typed_event_based_actor.hpp"

#include "cluster/atoms.hpp"
#include "cluster/group_view.hpp"
#include "messages/errc.hpp"
#include "replication/atoms.hpp"
#include "replication/errc.hpp"
#include "replication/node_status.hpp"

namespace ooo::storage::cluster {

namespace {

using namespace std::chrono_literals;

/// A barrier that takes longer means the leader cannot reach a majority: its reads and lock
/// grants give up with `unavailable` (libraft steps such a leader down within an election
/// timeout anyway).
constexpr auto barrier_timeout = 10s;
/// Status and membership requests to the replicator, and stats from the store.
constexpr auto local_timeout = 10s;
/// A membership change waits for the new member to catch up with the log.
constexpr auto change_timeout = 5min;

/// A request held until the barrier it waits for (or an earlier request of its client) is done.
struct deferred {
  caf::actor_addr client;
  std::function<void()> run;
  std::function<void(const caf::error&)> fail;
};

struct front_state {
  front_config cfg;
  group_view view;
  /// Waiting for the barrier that is out; and arrived after it was issued (the next one).
  std::vector<deferred> covered;
  std::vector<deferred> waiting;
  bool barrier_out = false;
  /// Clients with deferred requests and how many: their later requests queue behind them.
  std::unordered_map<caf::actor_addr, size_t> deferred_clients;

  static inline const char* name = "ooo.group_front";
};

/// The front also takes the sink's views, which no client may send: it is published as a
/// `group_actor`.
using front_actor = group_actor::extend<caf::reacts_to<view_atom, group_view>>;
using front_pointer = front_actor::stateful_pointer<front_state>;

caf::error write_refusal(const front_state& st) {
  if (st.view.serving)
    return caf::error{};
  if (st.view.role == replication::node_role::leader)
    return make_error(errc::unavailable, "this node was elected leader and is catching up");
  return make_error(errc::not_leader, st.view.leader_address);
}

/// What a client learns when a replication request failed.
caf::error group_error(const front_state& st, const caf::error& err) {
  using replication::errc;
  if (replication::is(err, errc::not_leader))
    return make_error(storage::errc::not_leader, st.view.leader_address);
  if (err.category() == replication::error_category) {
    if (replication::is(err, errc::bad_member) || replication::is(err, errc::invalid_config))
      return make_error(storage::errc::invalid_data, replication::render(err));
    return make_error(storage::errc::unavailable, replication::render(err));
  }
  if (err.category() == storage::error_category)
    return err;
  return make_error(storage::errc::unavailable, "the group did not answer in time");
}

void release(front_state& st, const caf::actor_addr& client) {
  auto i = st.deferred_clients.find(client);
  if (i != st.deferred_clients.end() && --i->second == 0)
    st.deferred_clients.erase(i);
}

void issue_barrier(front_pointer self);

/// The barrier that was out is done (or failed): what it covered runs (or fails), in order.
void settle(front_pointer self, const caf::error& err) {
  auto& st = self->state;
  auto batch = std::move(st.covered);
  st.covered.clear();
  st.barrier_out = false;
  for (auto& d : batch) {
    if (err)
      d.fail(err);
    else
      d.run();
    release(st, d.client);
  }
  if (!st.waiting.empty())
    issue_barrier(self);
}

void issue_barrier(front_pointer self) {
  auto& st = self->state;
  st.covered = std::move(st.waiting);
  st.waiting.clear();
  st.barrier_out = true;
  self
    ->request(st.cfg.replicator, barrier_timeout, replication::barrier_atom::value, st.cfg.group)
    .then([self](uint64_t) { settle(self, caf::error{}); },
          [self](caf::error& err) { settle(self, group_error(self->state, err)); });
}

/// What a request needs before it reaches the store.
enum class gate {
  /// Only the serving leader passes it on.
  write,
  /// The serving leader after a barrier; a follower only with stale reads.
  read,
  /// The serving leader after a barrier.
  lock,
  /// Any node, at once.
  any,
};

/// Passes a request of the store's interface to the store (which answers the client), now or
/// once what it waits for is done; or refuses it.
template <class T, class... Ts>
caf::result<T> pass(front_pointer self, gate g, Ts... xs) {
  auto& st = self->state;
  bool barrier = false;
  switch (g) {
    case gate::write:
      if (auto err = write_refusal(st))
        return err;
      break;
    case gate::lock:
      if (auto err = write_refusal(st))
        return err;
      barrier = true;
      break;
    case gate::read:
      if (st.view.serving)
        barrier = true;
      else if (!st.cfg.stale_reads)
        return make_error(errc::not_leader, st.view.leader_address);
      break;
    case gate::any:
      break;
  }
  // Before `make_response_promise`, which moves the sender out of the current message.
  auto client = caf::actor_cast<caf::actor_addr>(self->current_sender());
  auto rp = self->make_response_promise();
  if (!barrier && st.deferred_clients.count(client) == 0) {
    // The common case: on to the store at once, without copying the request.
    rp.delegate(st.cfg.store, std::move(xs)...);
    return caf::delegated<T>{};
  }
  auto run = [rp, store = st.cfg.store, xs...]() mutable {
    rp.delegate(store, std::move(xs)...);
  };
  ++st.deferred_clients[client];
  st.waiting.push_back(
    deferred{client, std::move(run), [rp](const caf::error& err) mutable { rp.deliver(err); }});
  if (!st.barrier_out)
    issue_barrier(self);
  return caf::delegated<T>{};
}

caf::result<store_stats> stats(front_pointer self) {
  auto rp = self->make_response_promise<store_stats>();
  auto& st = self->state;
  self->request(st.cfg.store, local_timeout, stats_atom::value)
    .then(
      [self, rp](store_stats& result) mutable {
        auto& st = self->state;
        self
          ->request(st.cfg.replicator, local_timeout, replication::group_status_atom::value,
                    st.cfg.group)
          .then(
            [self, rp, result](replication::group_id, replication::node_status& status) mutable {
              result.role = to_string(status.role);
              result.leader = self->state.view.leader_address;
              result.term = status.term;
              result.applied = status.applied;
              rp.deliver(std::move(result));
            },
            [rp, result](caf::error&) mutable {
              result.role = to_string(replication::node_role::unavailable);
              rp.deliver(std::move(result));
            });
      },
      [rp](caf::error& err) mutable { rp.deliver(std::move(err)); });
  return rp;
}

caf::result<std::vector<std::string>> members(front_pointer self) {
  auto rp = self->make_response_promise<std::vector<std::string>>();
  auto& st = self->state;
  self
    ->request(st.cfg.replicator, local_timeout, replication::group_status_atom::value,
              st.cfg.group)
    .then(
      [rp](replication::group_id, replication::node_status& status) mutable {
        std::vector<std::string> out;
        for (auto& m : status.members) {
          auto line = std::to_string(m.id) + ' ' + m.address + ' '
                      + replication::to_string(m.role);
          if (m.id == status.leader_id)
            out.insert(out.begin(), line + " leader");
          else
            out.emplace_back(std::move(line));
        }
        rp.deliver(std::move(out));
      },
      [self, rp](caf::error& err) mutable { rp.deliver(group_error(self->state, err)); });
  return rp;
}

/// Membership changes go to the replicator of the leader; elsewhere they are refused here
/// with the leader's client address (libraft's own refusal would name its Raft address).
caf::error change_refusal(const front_state& st) {
  if (st.view.role == replication::node_role::leader)
    return caf::error{};
  return make_error(errc::not_leader, st.view.leader_address);
}

caf::result<void> add_member(front_pointer self, uint64_t id, std::string address) {
  if (auto err = change_refusal(self->state))
    return err;
  auto rp = self->make_response_promise<void>();
  auto& st = self->state;
  auto fail = [self, rp](caf::error& err) mutable { rp.deliver(group_error(self->state, err)); };
  self
    ->request(st.cfg.replicator, change_timeout, replication::add_member_atom::value,
              st.cfg.group, id, address)
    .then(
      [self, rp, id, fail]() mutable {
        auto& st = self->state;
        // A voter counts for quorum: libraft catches the member up with the log first.
        self
          ->request(st.cfg.replicator, change_timeout, replication::assign_role_atom::value,
                    st.cfg.group, id, replication::member_role::voter)
          .then([rp]() mutable { static_cast<caf::response_promise&>(rp).deliver(caf::unit); },
                fail);
      },
      fail);
  return rp;
}

caf::result<void> remove_member(front_pointer self, uint64_t id) {
  if (auto err = change_refusal(self->state))
    return err;
  auto rp = self->make_response_promise<void>();
  auto& st = self->state;
  self
    ->request(st.cfg.replicator, change_timeout, replication::remove_member_atom::value,
              st.cfg.group, id)
    .then([rp]() mutable { static_cast<caf::response_promise&>(rp).deliver(caf::unit); },
          [self, rp](caf::error& err) mutable { rp.deliver(group_error(self->state, err)); });
  return rp;
}

caf::result<uint64_t> transfer(front_pointer self, uint64_t id) {
  if (auto err = change_refusal(self->state))
    return err;
  auto rp = self->make_response_promise<uint64_t>();
  auto& st = self->state;
  self
    ->request(st.cfg.replicator, change_timeout, replication::transfer_atom::value, st.cfg.group,
              id)
    .then([rp](uint64_t leader) mutable { rp.deliver(leader); },
          [self, rp](caf::error& err) mutable { rp.deliver(group_error(self->state, err)); });
  return rp;
}

front_actor::behavior_type front(front_pointer self, front_config cfg) {
  self->state.cfg = std::move(cfg);
  caf::anon_send(self->state.cfg.sink, watch_view_atom::value,
                 caf::actor_cast<caf::actor>(self));
  return {
    [self](set_atom, std::string& key, bytes& data, write_options& opts) {
      return pass<receipt>(self, gate::write, set_atom::value, std::move(key), std::move(data),
                           opts);
    },
    [self](push_atom, std::string& pattern, bytes& data) {
      return pass<receipt>(self, gate::write, push_atom::value, std::move(pattern),
                           std::move(data));
    },
    [self](batch_atom, std::vector<batch_op>& ops) {
      // Writes only on the serving leader; reads among them after a barrier, as a `get` does.
      bool reads = false;
      bool writes = false;
      for (auto& op : ops)
        (op.kind == batch_kind::get ? reads : writes) = true;
      auto g = !writes ? gate::read : reads ? gate::lock : gate::write;
      return pass<std::vector<batch_result>>(self, g, batch_atom::value, std::move(ops));
    },
    [self](caf::get_atom, std::string& key) {
      return pass<object>(self, gate::read, caf::get_atom::value, std::move(key));
    },
    [self](list_atom, std::string& pattern, list_options& opts) {
      return pass<std::vector<object>>(self, gate::read, list_atom::value, std::move(pattern),
                                       opts);
    },
    [self](keys_atom, std::string& pattern, list_options& opts) {
      return pass<std::vector<std::string>>(self, gate::read, keys_atom::value,
                                            std::move(pattern), opts);
    },
    [self](del_atom, std::string& key) {
      return pass<deleted>(self, gate::write, del_atom::value, std::move(key));
    },
    [self](del_silent_atom, std::string& key) {
      return pass<deleted>(self, gate::write, del_silent_atom::value, std::move(key));
    },
    [self](lock_atom, std::string& key, uint32_t lease_ms) {
      return pass<uint64_t>(self, gate::lock, lock_atom::value, std::move(key), lease_ms);
    },
    [self](get_lock_atom, std::string& key, uint32_t lease_ms) {
      return pass<lock_grant>(self, gate::lock, get_lock_atom::value, std::move(key), lease_ms);
    },
    [self](unlock_atom, std::string& key, uint64_t token) {
      return pass<void>(self, gate::write, unlock_atom::value, std::move(key), token);
    },
    [self](clear_atom) { return pass<deleted>(self, gate::write, clear_atom::value); },
    [self](caf::subscribe_atom, std::string& pattern, caf::actor& subscriber) {
      return pass<uint64_t>(self, gate::any, caf::subscribe_atom::value, std::move(pattern),
                            std::move(subscriber));
    },
    [self](caf::subscribe_atom, std::string& pattern, caf::actor& subscriber,
           subscribe_options& opts) {
      return pass<uint64_t>(self, gate::any, caf::subscribe_atom::value, std::move(pattern),
                            std::move(subscriber), opts);
    },
    [self](caf::unsubscribe_atom, uint64_t id) {
      return pass<void>(self, gate::any, caf::unsubscribe_atom::value, id);
    },
    [self](stats_atom) { return stats(self); },
    [self](start_atom) { return pass<void>(self, gate::any, start_atom::value); },
    [self](active_atom) { return pass<bool>(self, gate::any, active_atom::value); },
    [self](caf::close_atom) { return pass<void>(self, gate::any, caf::close_atom::value); },
    // Clients that route to the shards themselves would pass by the gates above: a group node
    // names none, and such a client (the facade) sends everything here instead.
    [](shards_atom) { return std::vector<caf::actor>{}; },
    // Internal to the store (its own mailbox rounds); nothing to pass on.
    [](caf::flush_atom) {
      // nop
    },
    [self](members_atom) { return members(self); },
    [self](add_member_atom, uint64_t id, std::string& address) {
      return add_member(self, id, std::move(address));
    },
    [self](remove_member_atom, uint64_t id) { return remove_member(self, id); },
    [self](transfer_atom, uint64_t id) { return transfer(self, id); },
    [self](view_atom, group_view& view) { self->state.view = std::move(view); },
  };
}

} // namespace

group_actor spawn_front(caf::actor_system& sys, front_config cfg) {
  return caf::actor_cast<group_actor>(sys.spawn(front, std::move(cfg)));
}

} // namespace ooo::storage::cluster

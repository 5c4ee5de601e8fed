#include "gateway/store_client.hpp"

#include <atomic>
#include <tuple>
#include <chrono>
#include <unordered_map>
#include <unordered_set>

#include "caf/actor_system.hpp"
#include "caf/allowed_unsafe_message_type.hpp"
#include "caf/event_based_actor.hpp"
#include "caf/scoped_actor.hpp"
#include "caf/stateful_actor.hpp"

#include "messages/store_actor.hpp"

namespace ooo::storage::gateway {

feed_sink::~feed_sink() {
  // nop
}

namespace {

using namespace std::chrono_literals;

/// ooo's request deadline: a locked key or a stuck store answers then.
constexpr auto deadline = 10s;

/// How long the subscription hub remembers ended subscriptions, so that batches still on their
/// way are acknowledged instead of parked.
constexpr auto ended_memory = 30s;

/// Work for a bridge actor: issue one request as that actor. A closure, so that each kind of
/// request needs no message type of its own; it never leaves the process.
struct bridge_job {
  std::function<void(caf::event_based_actor*)> run;
};

using ack_atom = caf::atom_constant<caf::atom("ack")>;
using forget_atom = caf::atom_constant<caf::atom("forget")>;

/// One early message for a subscription whose id the hub does not know yet (the store's
/// answer to `subscribe` and the first batch travel different ways).
struct early_message {
  uint64_t ticket = 0;
  std::vector<event> events;
  caf::optional<lagged> notice;
};

struct hub_state {
  store_actor store;
  std::unordered_map<uint64_t, std::weak_ptr<feed_sink>> sinks;
  /// Unacknowledged batches: ticket -> (subscription, promise).
  std::unordered_map<uint64_t, std::pair<uint64_t, caf::response_promise>> pending;
  std::unordered_map<uint64_t, std::vector<early_message>> early;
  std::unordered_set<uint64_t> ended;
  uint64_t last_ticket = 0;
  static inline const char* name = "ooo.gateway.subscriptions";
};

using hub_pointer = caf::stateful_actor<hub_state>*;

/// Work for the hub, run as the hub (it owns the subscription tables).
struct hub_job {
  std::function<void(hub_pointer)> run;
};

} // namespace
} // namespace ooo::storage::gateway

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(ooo::storage::gateway::bridge_job)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(ooo::storage::gateway::hub_job)

namespace ooo::storage::gateway {

namespace {

caf::behavior bridge(caf::event_based_actor* self) {
  return {
    [=](bridge_job& job) { job.run(self); },
  };
}

void end_subscription(hub_pointer self, uint64_t id) {
  auto& st = self->state;
  st.sinks.erase(id);
  st.early.erase(id);
  for (auto i = st.pending.begin(); i != st.pending.end();) {
    if (i->second.first == id) {
      i->second.second.deliver(caf::unit);
      i = st.pending.erase(i);
    } else {
      ++i;
    }
  }
  if (st.ended.insert(id).second) {
    self->request(st.store, deadline, caf::unsubscribe_atom::value, id)
      .then([] {}, [](caf::error&) {});
    self->delayed_send(self, ended_memory, forget_atom::value, id);
  }
}

/// Hands a batch to its sink, or acknowledges it at once if the sink is gone.
void deliver_batch(hub_pointer self, uint64_t id, uint64_t ticket, std::vector<event> events) {
  auto& st = self->state;
  auto i = st.sinks.find(id);
  auto sink = i == st.sinks.end() ? nullptr : i->second.lock();
  if (!sink) {
    if (auto p = st.pending.find(ticket); p != st.pending.end()) {
      p->second.second.deliver(caf::unit);
      st.pending.erase(p);
    }
    if (i != st.sinks.end())
      end_subscription(self, id);
    return;
  }
  sink->batch(ticket, std::move(events));
}

void deliver_lagged(hub_pointer self, const lagged& notice) {
  auto& st = self->state;
  auto i = st.sinks.find(notice.subscription);
  if (i == st.sinks.end())
    return;
  if (auto sink = i->second.lock())
    sink->lagged(notice);
  else
    end_subscription(self, notice.subscription);
}

caf::behavior hub(hub_pointer self, store_actor store) {
  self->state.store = std::move(store);
  return {
    [=](hub_job& job) { job.run(self); },
    [=](event_batch& batch) -> caf::result<void> {
      auto& st = self->state;
      if (st.ended.count(batch.subscription) > 0)
        return caf::unit;
      auto ticket = ++st.last_ticket;
      auto promise = self->make_response_promise();
      st.pending.emplace(ticket, std::make_pair(batch.subscription, promise));
      if (st.sinks.count(batch.subscription) == 0) {
        st.early[batch.subscription].push_back(
          early_message{ticket, std::move(batch.events), caf::none});
        return promise;
      }
      deliver_batch(self, batch.subscription, ticket, std::move(batch.events));
      return promise;
    },
    [=](lagged& notice) {
      auto& st = self->state;
      if (st.ended.count(notice.subscription) > 0)
        return;
      if (st.sinks.count(notice.subscription) == 0) {
        st.early[notice.subscription].push_back(early_message{0, {}, notice});
        return;
      }
      deliver_lagged(self, notice);
    },
    [=](ack_atom, uint64_t ticket) {
      auto& st = self->state;
      if (auto i = st.pending.find(ticket); i != st.pending.end()) {
        i->second.second.deliver(caf::unit);
        st.pending.erase(i);
      }
    },
    [=](caf::unsubscribe_atom, uint64_t id) { end_subscription(self, id); },
    [=](forget_atom, uint64_t id) { self->state.ended.erase(id); },
  };
}

} // namespace

struct store_client::impl {
  caf::actor_system& sys;
  store_actor store;
  std::vector<caf::actor> bridges;
  std::atomic<size_t> next{0};
  caf::actor subscriptions;

  void run(std::function<void(caf::event_based_actor*)> job) {
    auto& target = bridges[next.fetch_add(1, std::memory_order_relaxed) % bridges.size()];
    caf::anon_send(target, bridge_job{std::move(job)});
  }

  /// Issues one request from a bridge and hands the answer to `done`. The arguments move into
  /// the closure and from there into the message: a 10 MiB value is not copied on the way.
  template <class T, class... Ts>
  void call(reply<T> done, Ts... xs) {
    auto args = std::make_tuple(std::move(xs)...);
    run([this, done = std::move(done), args = std::move(args)](caf::event_based_actor* self) mutable {
      std::apply(
        [&](auto&... x) {
          self->request(store, deadline, std::move(x)...)
            .then([done](T& result) { done(std::move(result)); },
                  [done](caf::error& e) { done(std::move(e)); });
        },
        args);
    });
  }
};

store_client::store_client(caf::actor_system& sys, caf::strong_actor_ptr store)
  : impl_(new impl{sys, caf::actor_cast<store_actor>(store), {}, {}, {}}) {
  // Two bridges: requests are cheap to issue, and answers only hand data to a strand.
  for (int i = 0; i < 2; ++i)
    impl_->bridges.push_back(sys.spawn(bridge));
  impl_->subscriptions = sys.spawn(hub, impl_->store);
}

store_client::~store_client() {
  stop();
}

void store_client::set(std::string key, bytes value, int64_t expected_revision,
                       reply<receipt> done) {
  write_options opts;
  opts.expected_revision = expected_revision;
  impl_->call<receipt>(std::move(done), set_atom::value, std::move(key), std::move(value), opts);
}

void store_client::push(std::string pattern, bytes value, reply<receipt> done) {
  impl_->call<receipt>(std::move(done), push_atom::value, std::move(pattern), std::move(value));
}

void store_client::get(std::string key, reply<object> done) {
  impl_->call<object>(std::move(done), caf::get_atom::value, std::move(key));
}

void store_client::list(std::string pattern, reply<std::vector<object>> done) {
  impl_->call<std::vector<object>>(std::move(done), list_atom::value, std::move(pattern),
                                   list_options{});
}

void store_client::keys(reply<std::vector<std::string>> done) {
  impl_->call<std::vector<std::string>>(std::move(done), keys_atom::value, std::string{},
                                        list_options{});
}

void store_client::del(std::string key_or_pattern, reply<deleted> done) {
  impl_->call<deleted>(std::move(done), del_atom::value, std::move(key_or_pattern));
}

void store_client::stats(reply<store_stats> done) {
  impl_->call<store_stats>(std::move(done), stats_atom::value);
}

void store_client::subscribe(std::string pattern, caf::optional<uint64_t> since,
                             std::weak_ptr<feed_sink> sink, reply<uint64_t> done) {
  subscribe_options opts;
  opts.mode = watch_mode::drop;
  if (since) {
    opts.resume = true;
    opts.since = *since;
  }
  auto job = [=, pattern = std::move(pattern)](hub_pointer self) {
    self
      ->request(self->state.store, deadline, caf::subscribe_atom::value, pattern,
                caf::actor_cast<caf::actor>(self), opts)
      .then(
        [=](uint64_t id) {
          auto& st = self->state;
          st.sinks.emplace(id, sink);
          done(id);
          // What arrived before the answer, in order.
          auto i = st.early.find(id);
          if (i == st.early.end())
            return;
          auto early = std::move(i->second);
          st.early.erase(i);
          for (auto& m : early) {
            if (m.notice)
              deliver_lagged(self, *m.notice);
            else
              deliver_batch(self, id, m.ticket, std::move(m.events));
          }
        },
        [=](caf::error& e) { done(std::move(e)); });
  };
  caf::anon_send(impl_->subscriptions, hub_job{std::move(job)});
}

void store_client::ack(uint64_t ticket) {
  caf::anon_send(impl_->subscriptions, ack_atom::value, ticket);
}

void store_client::unsubscribe(uint64_t id) {
  caf::anon_send(impl_->subscriptions, caf::unsubscribe_atom::value, id);
}

void store_client::stop() {
  if (!impl_ || !impl_->subscriptions)
    return;
  caf::scoped_actor self{impl_->sys};
  for (auto& b : impl_->bridges)
    self->send_exit(b, caf::exit_reason::user_shutdown);
  self->send_exit(impl_->subscriptions, caf::exit_reason::user_shutdown);
  self->wait_for(impl_->bridges, impl_->subscriptions);
  impl_->bridges.clear();
  impl_->subscriptions = nullptr;
}

} // namespace ooo::storage::gateway

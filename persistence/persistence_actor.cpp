#include "persistence/persistence_actor.hpp"

#include <utility>

#include "caf/actor_system.hpp"
#include "caf/stateful_actor.hpp"
#include "caf/typed_event_based_actor.hpp"

#include "messages/errc.hpp"

namespace ooo::storage {

namespace {

/// A commit waiting for the next batch.
struct pending_commit {
  caf::typed_response_promise<uint64_t> promise;
  size_t size;
};

struct persistence_state {
  std::shared_ptr<adapter> store;
  /// False between `close` and the next `load`.
  bool open = true;
  std::shared_ptr<std::atomic<uint64_t>> revision;
  /// Changes of every pending commit, in arrival order: the next batch.
  std::vector<change> batch;
  std::vector<pending_commit> waiting;
  bool flush_scheduled = false;
  commit_stats stats;
  static inline const char* name = "ooo.persistence";
};

using persistence_pointer = persistence_actor::stateful_pointer<persistence_state>;

/// Writes the pending batch with the next revisions and answers every commit in it.
void flush(persistence_pointer self) {
  auto& st = self->state;
  st.flush_scheduled = false;
  if (st.waiting.empty())
    return;
  auto first = st.revision->load() + 1;
  auto next = first;
  for (auto& ch : st.batch)
    ch.value.revision = next++;
  auto last = next - 1;
  auto err = st.open ? st.store->write(st.batch, last)
                     : make_error(errc::not_active, "persistence is closed");
  st.batch.clear();
  auto waiting = std::move(st.waiting);
  st.waiting.clear();
  if (err) {
    for (auto& w : waiting)
      w.promise.deliver(err);
    return;
  }
  st.revision->store(last);
  ++st.stats.batches;
  st.stats.changes += last - first + 1;
  for (auto& w : waiting) {
    w.promise.deliver(first);
    first += w.size;
  }
}

persistence_actor::behavior_type persistence(persistence_pointer self,
                                             std::shared_ptr<adapter> store,
                                             std::shared_ptr<std::atomic<uint64_t>> revision) {
  self->state.store = std::move(store);
  self->state.revision = std::move(revision);
  return {
    [=](commit_atom, std::vector<change>& changes) -> caf::result<uint64_t> {
      auto& st = self->state;
      if (changes.empty())
        return st.revision->load() + 1;
      auto promise = self->make_response_promise<uint64_t>();
      st.waiting.push_back(pending_commit{promise, changes.size()});
      for (auto& ch : changes)
        st.batch.emplace_back(std::move(ch));
      if (!st.flush_scheduled) {
        st.flush_scheduled = true;
        self->send(self, caf::flush_atom::value);
      }
      return promise;
    },
    [=](caf::flush_atom) { flush(self); },
    [=](load_atom, uint32_t shard_count)
      -> caf::result<std::vector<std::vector<object>>, std::vector<event>, uint64_t> {
      auto& st = self->state;
      // A store that starts again after `close` opens its layer again.
      if (auto err = st.store->reopen())
        return err;
      st.open = true;
      std::vector<std::vector<object>> parts(shard_count);
      uint64_t last = 0;
      auto err = st.store->load(
        [&](object&& obj) {
          auto& part = parts[shard_of(obj.path, shard_count)];
          part.emplace_back(std::move(obj));
        },
        last);
      if (err)
        return err;
      std::vector<event> history;
      uint64_t compacted = 0;
      auto keep = [&](event&& ev) { history.emplace_back(std::move(ev)); };
      if (auto err = st.store->load_history(keep, last, compacted))
        return err;
      st.revision->store(last);
      return caf::make_result(std::move(parts), std::move(history), compacted);
    },
    [=](stats_atom) {
      auto result = self->state.stats;
      if (self->state.open)
        self->state.store->gauges(result.gauges);
      return result;
    },
    [=](caf::close_atom) -> caf::result<void> {
      // Commits that raced with close are already in the mailbox ahead of this message and
      // were flushed; whatever is still pending is written before the adapter closes.
      flush(self);
      auto& st = self->state;
      if (!st.open)
        return caf::unit;
      st.open = false;
      if (auto err = st.store->close())
        return err;
      return caf::unit;
    },
  };
}

} // namespace

persistence_actor spawn_persistence(caf::actor_system& sys, std::unique_ptr<adapter> store,
                                    std::shared_ptr<std::atomic<uint64_t>> revision,
                                    bool own_thread) {
  // Spawn arguments must be copyable; the actor is the only owner all the same.
  std::shared_ptr<adapter> owned = std::move(store);
  if (!own_thread)
    return sys.spawn(persistence, std::move(owned), std::move(revision));
  return sys.spawn<caf::detached>(persistence, std::move(owned), std::move(revision));
}

} // namespace ooo::storage

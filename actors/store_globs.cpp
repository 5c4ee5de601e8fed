#include <numeric>

#include "actors/fan_out.hpp"
#include "actors/protocol.hpp"
#include "actors/store_state.hpp"
#include "messages/errc.hpp"
#include "messages/key.hpp"

// A glob delete (or `clear`) is one unit across shards, in four steps:
// 1. prepare: every shard waits until the client's earlier requests on covered keys are done,
//    and from then on holds the client's later ones (sent right away, in arrival order, so
//    nothing of the client overtakes it);
// 2. collect: once prepared everywhere, and one glob at a time, every shard reports its covered
//    keys as soon as none of them has a write in flight, and holds every request on them;
// 3. commit: persistence writes all deletions in one batch, one unit of revisions;
// 4. apply, answer, release: every shard deletes its part, runs the hooks and publishes the
//    events (from here on the keys are free for other clients), the client hears the result
//    (a reply means the operation took effect), and only then may the client's later requests
//    on covered keys, held by the shards since step 1, run: they are answered after it.

namespace ooo::storage {

namespace {

void run_next_glob(store_pointer self);

/// Tells every shard to forget glob `id` (it failed, or deleted nothing).
void release_glob(store_pointer self, uint64_t id) {
  flush_routed(self);
  for (auto& shard : self->state.shards)
    caf::anon_send(shard, release_atom::value, id);
}

/// The running glob is over: the next one may collect.
void finish_running(store_pointer self) {
  auto& st = self->state;
  st.globs.erase(st.running_glob);
  st.running_glob = 0;
  if (st.closed)
    close_when_idle(self);
  else
    run_next_glob(self);
}

void fail_running(store_pointer self, caf::error err) {
  auto& st = self->state;
  auto id = st.running_glob;
  st.globs[id].promise.deliver(std::move(err));
  release_glob(self, id);
  finish_running(self);
}

/// Step 4: every shard deletes its part with its slice of the revisions; then the answer.
void apply_glob(store_pointer self, const std::vector<size_t>& sizes, uint64_t first_revision) {
  auto& st = self->state;
  auto id = st.running_glob;
  auto silent = st.globs[id].silent;
  auto total = std::accumulate(sizes.begin(), sizes.end(), uint64_t{0});
  // One unit: every event of this glob names its last revision.
  auto unit = first_revision + total - 1;
  auto remaining = std::make_shared<size_t>(st.shards.size());
  flush_routed(self);
  for (size_t i = 0; i < st.shards.size(); ++i) {
    self->request(st.shards[i], caf::infinite, apply_atom::value, id, first_revision, unit, silent)
      .then([self, id, total, unit, remaining](uint64_t) {
        if (--*remaining > 0)
          return;
        self->state.globs[id].promise.deliver(deleted{total, unit});
        release_glob(self, id);
        finish_running(self);
      });
    first_revision += sizes[i];
  }
}

/// Step 3: one batch for every collected key.
void commit_glob(store_pointer self, std::vector<std::vector<std::string>> parts) {
  auto& st = self->state;
  auto id = st.running_glob;
  std::vector<size_t> sizes;
  size_t total = 0;
  for (auto& part : parts) {
    sizes.push_back(part.size());
    total += part.size();
  }
  if (total == 0) {
    // Nothing to delete: the shards only release what they hold for it, after the answer.
    st.globs[id].promise.deliver(deleted{});
    release_glob(self, id);
    finish_running(self);
    return;
  }
  if (!st.persistence) {
    apply_glob(self, sizes, st.revision->fetch_add(total) + 1);
    return;
  }
  auto silent = st.globs[id].silent;
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
          [=](caf::error& err) { fail_running(self, std::move(err)); });
}

/// Step 2, for the glob whose turn it is.
void run_next_glob(store_pointer self) {
  auto& st = self->state;
  if (st.running_glob != 0 || st.ready_globs.empty())
    return;
  auto id = st.ready_globs.front();
  st.ready_globs.pop_front();
  st.running_glob = id;
  flush_routed(self);
  fan_out<std::vector<std::string>>(
    self, st.shards,
    [self](std::vector<std::vector<std::string>> parts) { commit_glob(self, std::move(parts)); },
    [self](caf::error& err) { fail_running(self, std::move(err)); }, collect_atom::value, id);
}

} // namespace

caf::result<deleted> run_glob(store_pointer self, std::string pattern, bool silent) {
  auto& st = self->state;
  auto id = ++st.last_id;
  // Before `make_response_promise`, which moves the sender out of the current message.
  auto client = caf::actor_cast<caf::actor_addr>(self->current_sender());
  auto promise = self->make_response_promise<deleted>();
  st.globs.emplace(id, glob_job{pattern, silent, client, promise});
  // Step 1, right away: the shards see it in the client's order.
  flush_routed(self);
  fan_out<caf::unit_t>(
    self, st.shards,
    [self, id](std::vector<caf::unit_t>) {
      auto& st = self->state;
      if (st.globs.count(id) == 0)
        return;
      st.ready_globs.push_back(id);
      run_next_glob(self);
    },
    [self, id](caf::error& err) {
      auto& st = self->state;
      auto i = st.globs.find(id);
      if (i == st.globs.end())
        return;
      i->second.promise.deliver(std::move(err));
      st.globs.erase(i);
      release_glob(self, id);
    },
    prepare_atom::value, id, client, pattern);
  return promise;
}

void refuse_waiting_globs(store_pointer self) {
  auto& st = self->state;
  for (auto i = st.globs.begin(); i != st.globs.end();) {
    if (i->first == st.running_glob) {
      ++i;
      continue;
    }
    i->second.promise.deliver(make_error(errc::not_active, i->second.pattern));
    release_glob(self, i->first);
    i = st.globs.erase(i);
  }
  st.ready_globs.clear();
}

} // namespace ooo::storage

#pragma once

// The router's state and the pieces of its behaviour that live in their own files
// (store_queries.cpp, store_globs.cpp). Internal to actors/.

#include <atomic>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "caf/actor.hpp"
#include "caf/actor_addr.hpp"
#include "caf/send.hpp"
#include "caf/stateful_actor.hpp"
#include "caf/typed_event_based_actor.hpp"
#include "caf/typed_response_promise.hpp"

#include "actors/options.hpp"
#include "actors/protocol.hpp"
#include "messages/store_actor.hpp"
#include "persistence/persistence_actor.hpp"

namespace ooo::storage {

/// A glob delete or `clear` between its arrival and its commit; `pattern` is empty for clear.
struct glob_job {
  std::string pattern;
  bool silent = false;
  caf::actor_addr client;
  caf::typed_response_promise<deleted> promise;
};

struct store_state {
  std::shared_ptr<const options> opts;
  durability mode = durability::memory;
  std::vector<caf::actor> shards;
  persistence_actor persistence;
  std::shared_ptr<std::atomic<uint64_t>> revision;
  /// Sequences events, keeps the history and the subscriptions.
  caf::actor log;

  bool active = false;
  bool starting = false;
  bool closed = false;
  /// A `close` that arrived during `start`: the store closes once the start is over.
  bool close_after_start = false;
  caf::typed_response_promise<void> close_promise;

  /// Ids of queries and glob deletes, which the shards use to tell them apart.
  uint64_t last_id = 0;

  /// Exact-key requests of this mailbox round, per shard, and whether a flush is on its way.
  std::vector<std::vector<routed_op>> routed;
  bool flush_scheduled = false;

  /// Glob deletes by id, from their arrival until their commit was answered.
  std::map<uint64_t, glob_job> globs;
  /// Prepared on every shard, waiting for their turn to collect, in the order they got ready.
  std::deque<uint64_t> ready_globs;
  /// The glob delete collecting and committing now (0: none). One at a time.
  uint64_t running_glob = 0;

  static inline const char* name = "ooo.store";
};

using store_pointer = store_actor::stateful_pointer<store_state>;

/// store_queries.cpp: a list or keys query over every shard.
caf::result<std::vector<object>> run_list(store_pointer self, std::string pattern,
                                          list_options opts);
caf::result<std::vector<std::string>> run_keys(store_pointer self, std::string pattern,
                                               list_options opts);

/// store_globs.cpp: a glob delete or `clear` (pattern "").
caf::result<deleted> run_glob(store_pointer self, std::string pattern, bool silent);

/// store_globs.cpp: answers every glob delete not yet running with `not_active`.
void refuse_waiting_globs(store_pointer self);

/// store.cpp: closes the shards and persistence once no glob delete runs any more.
void close_when_idle(store_pointer self);

/// store.cpp: passes the exact-key requests gathered so far on to their shards. Everything the
/// store sends a shard goes after them, so the shards see each client's requests in its order.
void flush_routed(store_pointer self);

} // namespace ooo::storage

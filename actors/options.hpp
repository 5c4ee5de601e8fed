#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "messages/object.hpp"
#include "persistence/adapter.hpp"

namespace ooo::storage {

struct replica_hookup;

/// Callbacks and settings of a store (the seed's `Options`). Hooks run on the shard's thread,
/// inside the shard's handler: keep them short, and make them thread-safe, since different
/// shards call them concurrently.
struct options {
  /// Called before every read of `key` (get, and each key a list returns is not reported).
  std::function<void(const std::string& key)> before_read;
  /// Called after a committed change's event was sent to the event log (for a batch of
  /// changes, after the batch).
  std::function<void(const std::string& key)> after_write;
  /// Called after a change is committed, before its events are sent.
  std::function<void(const std::string& key, event_op op)> after_write_op;
  /// Called on the event log's thread for every event a `drop`-mode subscription loses because
  /// it is a window behind (`subscription` is its id).
  std::function<void(uint64_t subscription, const event& ev)> on_drop;
  /// Patterns whose keys never produce events.
  std::vector<std::string> no_broadcast_keys;
  /// Number of shard actors; 0 picks one per hardware thread (at least 2).
  size_t shards = 0;
  /// How long a lock lasts unless its holder unlocks it first.
  std::chrono::milliseconds lock_lease{std::chrono::seconds{30}};
  /// Values larger than this are refused with `too_large`.
  size_t max_value_size = 16u << 20;
  /// Writers allowed to wait for one locked key; more are refused with `limit_exceeded`.
  size_t max_lock_waiters = 10000;
  /// Subscriptions the store serves at once; more are refused with `limit_exceeded`.
  size_t max_subscribers = 10000;
  /// A list or keys query without a limit may return at most this many results; a larger one
  /// is refused with `limit_exceeded` (ask with a limit, and page with the offset).
  size_t max_list = 100000;
  /// Events a subscriber may have unacknowledged before it counts as behind.
  size_t watch_window = 1024;
  /// Events retained for resume: at most this many ...
  size_t history_events = 100000;
  /// ... and at most this many bytes of values.
  size_t history_bytes = 64u << 20;
  /// Where `created`/`updated` timestamps and push keys come from: null is the node's clock
  /// (`next_timestamp`: wall-clock nanoseconds, never repeating). Tests that must replay a run
  /// exactly pass a deterministic one; it must never repeat a value either.
  std::function<int64_t()> clock;
};

/// What a store is made of (the seed's `LayeredConfig`): the memory layer always, plus an
/// optional persistent layer.
struct store_config {
  options opts;
  /// The persistent layer; null for a memory-only store.
  std::unique_ptr<adapter> persistent;
  /// Reported by `stats`; what the adapter was opened with.
  durability mode = durability::memory;
  /// The persistence actor gets a thread of its own (an fsync must not stall a scheduler
  /// worker). A deterministic test turns this off so that its scheduler runs every actor.
  bool persistence_thread = true;
  /// Set by a replicated group (cluster/): the store commits through the group instead of
  /// `persistent`, which must then be null (see actors/replica_protocol.hpp).
  std::shared_ptr<replica_hookup> replica;
};

/// The shard count `opts.shards` resolves to.
size_t shard_count(const options& opts);

/// True if changes of `key` produce no events (`no_broadcast_keys`).
bool muted(const options& opts, std::string_view key);

/// The next timestamp of `opts.clock`, or of the node's clock without one.
int64_t now(const options& opts);

} // namespace ooo::storage

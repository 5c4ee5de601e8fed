#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "caf/error.hpp"
#include "caf/meta/type_name.hpp"
#include "caf/optional.hpp"

#include "messages/bytes.hpp"
#include "messages/key.hpp"

namespace ooo::storage {

/// A stored value with its metadata (the seed's `meta.Object`).
struct object {
  /// Nanosecond timestamp of the first write; kept when the key is overwritten.
  int64_t created = 0;
  /// 0 after the first write, the timestamp of the latest write after that.
  int64_t updated = 0;
  /// The store-wide revision of the change that wrote this value.
  uint64_t revision = 0;
  /// The full key, e.g. `users/123`.
  std::string path;
  /// The value: shared with the map, events and the history, never copied (see `bytes`).
  bytes data;

  /// The last path segment (the seed's `index`), e.g. `123`.
  std::string_view index() const {
    return last_segment(path);
  }
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, object& x) {
  return f(caf::meta::type_name("ooo::storage::object"), x.created, x.updated, x.revision,
           x.path, x.data);
}

inline bool operator==(const object& x, const object& y) {
  return x.created == y.created && x.updated == y.updated && x.revision == y.revision
         && x.path == y.path && x.data == y.data;
}

/// What a write answers: where it landed and under which revision.
struct receipt {
  /// The key written (for `push`, the generated one).
  std::string key;
  /// The revision of this change.
  uint64_t revision = 0;
  int64_t created = 0;
  int64_t updated = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, receipt& x) {
  return f(caf::meta::type_name("ooo::storage::receipt"), x.key, x.revision, x.created,
           x.updated);
}

/// What a delete answers: how many keys it deleted, and the revision of its change (for a glob
/// delete or `clear`, the last revision of its unit); 0 when it deleted nothing.
struct deleted {
  uint64_t count = 0;
  uint64_t revision = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, deleted& x) {
  return f(caf::meta::type_name("ooo::storage::deleted"), x.count, x.revision);
}

/// Conditions and metadata of a write. The default is a plain `set`.
struct write_options {
  /// With `keep_times`: store these timestamps as given, 0 included (the seed's
  /// `SetWithMeta`, to restore or import).
  int64_t created = 0;
  int64_t updated = 0;
  bool keep_times = false;
  /// The lock token of the caller; required to write a key that the caller has locked. A
  /// write that names a token that does not hold the key's lock (any more: its lease ran out)
  /// fails with `lock_not_found` instead of writing.
  uint64_t token = 0;
  /// Release the lock held with `token` once the write commits (`set_and_unlock`).
  bool unlock = false;
  /// Compare-and-set: -1 writes unconditionally, 0 requires that the key does not exist, any
  /// other value requires that the key's current revision equals it (else `conflict`).
  int64_t expected_revision = -1;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, write_options& x) {
  return f(caf::meta::type_name("ooo::storage::write_options"), x.created, x.updated,
           x.keep_times, x.token, x.unlock, x.expected_revision);
}

/// Which objects (or keys) a list query returns, after matching the pattern.
struct list_options {
  /// Oldest first (`created` ascending); the default is newest first.
  bool ascending = false;
  /// Skips this many results of the sorted sequence; negative is `invalid_limit`.
  int64_t offset = 0;
  /// At most this many results; 0 means all (up to the store's cap), negative is
  /// `invalid_limit`.
  int64_t limit = 0;
  /// Only objects with `created` in [from, to]; 0 leaves that end open. `from > to` is
  /// `invalid_range`.
  int64_t created_from = 0;
  int64_t created_to = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, list_options& x) {
  return f(caf::meta::type_name("ooo::storage::list_options"), x.ascending, x.offset, x.limit,
           x.created_from, x.created_to);
}

/// What `get_and_lock` answers: the current value and the token that holds the lock.
struct lock_grant {
  uint64_t token = 0;
  object value;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, lock_grant& x) {
  return f(caf::meta::type_name("ooo::storage::lock_grant"), x.token, x.value);
}

/// What one operation of a batch does.
enum class batch_kind : uint8_t { set = 1, get = 2, del = 3 };

/// One operation of a batch: `set` (key, data, options), `get` (key) or `del` (key; exact keys
/// only).
struct batch_op {
  batch_kind kind = batch_kind::get;
  std::string key;
  bytes data;
  write_options opts;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, batch_op& x) {
  return f(caf::meta::type_name("ooo::storage::batch_op"), x.kind, x.key, x.data, x.opts);
}

/// What one operation of a batch answered: `error` if it failed, else `written` (set),
/// `read` (get) or `removed` (del).
struct batch_result {
  caf::error error;
  receipt written;
  object read;
  deleted removed;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, batch_result& x) {
  return f(caf::meta::type_name("ooo::storage::batch_result"), x.error, x.written, x.read,
           x.removed);
}

/// The kind of change an event reports.
enum class event_op : uint8_t { set = 1, del = 2 };

inline const char* to_string(event_op x) {
  return x == event_op::set ? "set" : "del";
}

/// One committed change, sent to every subscriber whose pattern matches `key`.
struct event {
  uint64_t revision = 0;
  std::string key;
  event_op op = event_op::set;
  /// For `set` the new value; for `del` the value that was deleted.
  caf::optional<object> value;
  /// The atomic change this event belongs to, named by that change's last revision: every
  /// event of one glob delete or `clear` carries the same `unit`; a single-key change has
  /// `unit == revision`. A subscriber receives all matching events of a unit in one batch.
  uint64_t unit = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, event& x) {
  return f(caf::meta::type_name("ooo::storage::event"), x.revision, x.key, x.op, x.value,
           x.unit);
}

/// What a subscriber receives: the next events of one subscription, in revision order. A batch
/// never splits a unit (see `event::unit`). Batches arrive as requests; the subscriber's (empty)
/// answer acknowledges the whole batch.
struct event_batch {
  uint64_t subscription = 0;
  std::vector<event> events;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, event_batch& x) {
  return f(caf::meta::type_name("ooo::storage::event_batch"), x.subscription, x.events);
}

/// What happens to a subscriber that falls behind (more than the window unacknowledged).
enum class watch_mode : uint8_t {
  /// Events beyond the window are dropped and counted; once the subscriber catches up it gets
  /// a `lagged` notice saying how many and from which revision to resume.
  drop = 0,
  /// Nothing is dropped: the subscriber is fed from the retained history at its own pace; only
  /// falling out of retention ends the subscription (`lagged` with `ended`).
  lossless = 1,
};

/// How a subscription starts and behaves.
struct subscribe_options {
  /// First replay every retained change with a revision greater than `since`, then go live.
  bool resume = false;
  uint64_t since = 0;
  watch_mode mode = watch_mode::drop;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, subscribe_options& x) {
  return f(caf::meta::type_name("ooo::storage::subscribe_options"), x.resume, x.since, x.mode);
}

/// Tells a subscriber that it missed events. Subscribing again with `resume` from
/// `resume_from` recovers them while they are retained.
struct lagged {
  uint64_t subscription = 0;
  /// Matching events not delivered.
  uint64_t dropped = 0;
  /// The revision after which nothing is missing: resume from here.
  uint64_t resume_from = 0;
  /// The subscription is over (a lossless subscriber fell out of the retained history).
  bool ended = false;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, lagged& x) {
  return f(caf::meta::type_name("ooo::storage::lagged"), x.subscription, x.dropped,
           x.resume_from, x.ended);
}

/// A snapshot of the store's counters (`stats`).
struct store_stats {
  uint64_t keys = 0;
  /// The newest committed revision.
  uint64_t revision = 0;
  uint64_t shards = 0;
  uint64_t subscribers = 0;
  uint64_t dropped_events = 0;
  /// How many revisions the furthest-behind subscriber has yet to receive.
  uint64_t max_lag = 0;
  /// Events currently retained for resume.
  uint64_t history = 0;
  uint64_t locks = 0;
  uint64_t lock_waiters = 0;
  /// `sync`, `async` or `memory`.
  std::string durability;
  /// Writes of the persistent layer (one fsync each in `sync` mode) and the changes they
  /// carried: `commit_changes / commit_batches` is the average group-commit size.
  uint64_t commit_batches = 0;
  uint64_t commit_changes = 0;
  /// The persistent layer's own gauges and counters (RocksDB: compactions, pending compaction
  /// bytes, write stalls, memtable size, ...), by name.
  std::map<std::string, uint64_t> persistence;
  /// In a replicated group (cluster/): `leader`, `follower`, `candidate` or `unavailable`;
  /// empty for a node on its own.
  std::string role;
  /// The leader's client address `HOST:PORT`, empty while unknown.
  std::string leader;
  /// The newest Raft term this node has seen, and the Raft index up to which it applied the
  /// group's log.
  uint64_t term = 0;
  uint64_t applied = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, store_stats& x) {
  return f(caf::meta::type_name("ooo::storage::store_stats"), x.keys, x.revision, x.shards,
           x.subscribers, x.dropped_events, x.max_lag, x.history, x.locks, x.lock_waiters,
           x.durability, x.commit_batches, x.commit_changes, x.persistence, x.role, x.leader,
           x.term, x.applied);
}

/// One key's change as the persistence layer sees it: a new value or a deletion.
struct change {
  std::string key;
  /// False: the key is deleted and `value` is unused.
  bool put = true;
  /// The new value; its `revision` is assigned by the persistence actor at commit.
  object value;
  /// Subscribers see this change (false for silent deletes and `no_broadcast_keys`): only
  /// visible changes enter the retained history.
  bool visible = true;
  /// The next change of the batch belongs to the same atomic unit (a glob delete or `clear`).
  bool unit_continues = false;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, change& x) {
  return f(caf::meta::type_name("ooo::storage::change"), x.key, x.put, x.value, x.visible,
           x.unit_continues);
}

} // namespace ooo::storage

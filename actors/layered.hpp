#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

#include "caf/actor.hpp"
#include "caf/actor_system.hpp"
#include "caf/actor_system_config.hpp"
#include "caf/expected.hpp"
#include "caf/scoped_actor.hpp"

#include "actors/options.hpp"
#include "messages/store_actor.hpp"

namespace ooo::storage {

/// The layers of a facade-owned store (the seed's `LayeredConfig`): memory always, plus an
/// optional persistent adapter (e.g. `rocksdb_adapter::open(dir, durability::sync)`).
struct layered_config {
  /// Null: memory only.
  std::unique_ptr<adapter> persistent;
  /// What `persistent` was opened with; reported by `stats`.
  durability mode = durability::sync;
};

/// Ends a `watch`: unsubscribes and stops the subscriber actor. Stopping twice is harmless;
/// the destructor stops too.
class watch_handle {
public:
  watch_handle() = default;
  watch_handle(store_actor store, uint64_t id, caf::actor subscriber);
  watch_handle(watch_handle&&) = default;
  watch_handle& operator=(watch_handle&&);
  ~watch_handle();

  void stop();

  uint64_t id() const {
    return id_;
  }

private:
  store_actor store_;
  uint64_t id_ = 0;
  caf::actor subscriber_;
};

/// The seed's blocking API over a store actor. Every call sends one request and waits for its
/// answer (at most `timeout()`), so it may be called from any number of threads at once; each
/// returns `caf::expected`, never throws for a store error.
///
/// ```
/// ooo::storage::layered store{ooo::storage::layered_config{}};   // memory only
/// store.start();
/// store.set("users/1", R"({"name":"ada"})");
/// auto obj = store.get("users/1");               // obj->data, obj->created, ...
/// auto newest = store.get_n("users/*", 0, 10);
/// ```
///
/// `lock(key)` / `unlock(key)` keep the seed's shape. A lock belongs to the thread that took it:
/// between the facade's threads it is a mutex, as the seed's `Lock` is between goroutines. That
/// thread's `set`, `set_and_unlock` and `unlock` of the key use the lock's token (the facade
/// keeps it); another thread's `set` waits for the lock like any writer, and its `unlock` is
/// `lock_not_found`. Locks are held by an actor of the facade: destroying the facade releases
/// them.
class layered {
public:
  /// A standalone store with an actor system of its own.
  explicit layered(layered_config cfg, options opts = {});

  /// A store inside the caller's actor system (which must outlive the facade).
  layered(caf::actor_system& sys, layered_config cfg, options opts = {});

  /// Closes the store if it is still active and stops every actor it spawned.
  ~layered();

  layered(const layered&) = delete;
  layered& operator=(const layered&) = delete;

  // -- lifecycle -------------------------------------------------------------------------------

  /// Loads the persistent layer (if any); before it every call fails with `not_active`.
  caf::expected<void> start();

  /// Answers everything queued, flushes persistence; afterwards every call is `not_active`.
  caf::expected<void> close();

  bool active();

  // -- writes ----------------------------------------------------------------------------------

  /// Creates or overwrites `key`; returns its index (last segment).
  caf::expected<std::string> set(const std::string& key, std::string_view data);
  caf::expected<std::string> set(const std::string& key, bytes data);

  /// Like `set` with the full answer, and optionally compare-and-set (`expected_revision`: 0
  /// means the key must not exist).
  caf::expected<receipt> write(const std::string& key, bytes data, write_options opts = {});

  /// Creates a new key under `pattern` (`users/*`); returns its index (the new last segment,
  /// as the seed's `Push` does): the key is `users/` + the index.
  caf::expected<std::string> push(const std::string& pattern, std::string_view data);

  /// Like `push` with the full answer: the new key, its revision and timestamps.
  caf::expected<receipt> push_receipt(const std::string& pattern, std::string_view data);

  /// Restores a value with given timestamps; returns its index.
  caf::expected<std::string> set_with_meta(const std::string& key, std::string_view data,
                                           int64_t created, int64_t updated);

  /// Deletes `key`, or every key matching a pattern; returns how many.
  caf::expected<uint64_t> del(const std::string& key_or_pattern);

  /// Like `del`, without events.
  caf::expected<uint64_t> del_silent(const std::string& key_or_pattern);

  /// Deletes everything; returns how many keys.
  caf::expected<uint64_t> clear();

  // -- reads -----------------------------------------------------------------------------------

  caf::expected<object> get(const std::string& key);

  /// Every object matching `pattern`, oldest first.
  caf::expected<std::vector<object>> get_list(const std::string& pattern);

  /// Every object matching `pattern`, newest first.
  caf::expected<std::vector<object>> get_list_descending(const std::string& pattern);

  /// At most `limit` objects after skipping `offset`, newest first.
  caf::expected<std::vector<object>> get_n(const std::string& pattern, int64_t offset,
                                           int64_t limit);

  /// At most `limit` objects after skipping `offset`, oldest first.
  caf::expected<std::vector<object>> get_n_ascending(const std::string& pattern, int64_t offset,
                                                     int64_t limit);

  /// At most `limit` objects created in [from, to], newest first. As in the seed, `limit`
  /// must be positive (`invalid_limit` otherwise).
  caf::expected<std::vector<object>> get_n_range(const std::string& pattern, int64_t limit,
                                                 int64_t from, int64_t to);

  /// Any list query.
  caf::expected<std::vector<object>> list(const std::string& pattern, list_options opts);

  /// Every key of the store, sorted (the seed's `Keys`).
  caf::expected<std::vector<std::string>> keys();

  /// Matching keys, sorted.
  caf::expected<std::vector<std::string>> keys(const std::string& pattern);

  /// Matching keys created in [from, to], sorted. As in the seed, `pattern` must be a glob
  /// (`glob_required` otherwise).
  caf::expected<std::vector<std::string>> keys_range(const std::string& pattern, int64_t from,
                                                     int64_t to);

  caf::expected<store_stats> stats();

  // -- many operations at once -------------------------------------------------------------------

  /// Runs `ops` (exact-key sets, gets, dels) as one request: one message per shard, one commit
  /// per shard, one result per operation in order (see `batch_op`, `batch_result`). Fails as a
  /// whole only if the store cannot be asked; an operation's own failure is its result's
  /// `error`.
  caf::expected<std::vector<batch_result>> batch(std::vector<batch_op> ops);

  /// Sets every key of `items` (a batch of sets).
  caf::expected<std::vector<batch_result>>
  set_many(const std::vector<std::pair<std::string, bytes>>& items);

  /// Reads every key of `keys` (a batch of gets; a missing key's result is `not_found`).
  caf::expected<std::vector<batch_result>> get_many(const std::vector<std::string>& keys);

  // -- hooks -----------------------------------------------------------------------------------

  /// Replaces the `before_read` hook while the store runs (the seed's `SetBeforeRead`); null
  /// removes it. Reads sent after this call returns use the new hook. The hook given in the
  /// constructor's options is the initial one.
  void set_before_read(std::function<void(const std::string& key)> hook);

  // -- locks -----------------------------------------------------------------------------------

  /// Waits until this facade holds the lock of `key`.
  caf::expected<void> lock(const std::string& key);

  /// Locks `key` and returns its current value (`not_found`, unlocked, if it has none).
  caf::expected<object> get_and_lock(const std::string& key);

  /// Writes `key` with the lock this thread holds, then releases it; a write that fails
  /// (other than with `lock_not_found`) releases it too, as the seed's `SetAndUnlock` does.
  caf::expected<std::string> set_and_unlock(const std::string& key, std::string_view data);

  caf::expected<void> unlock(const std::string& key);

  // -- events ----------------------------------------------------------------------------------

  /// Calls `callback` (on a CAF worker thread, one event at a time) for every event of a key
  /// matching `pattern`. `opts` may resume from a revision and choose the mode for a callback
  /// that falls behind; `on_lag` hears what a `drop` subscription lost (see `lagged`).
  caf::expected<watch_handle> watch(const std::string& pattern,
                                    std::function<void(const event&)> callback,
                                    subscribe_options opts = {},
                                    std::function<void(const lagged&)> on_lag = nullptr);

  // -- plumbing --------------------------------------------------------------------------------

  /// The store actor, for sending messages directly.
  store_actor handle() const {
    return store_;
  }

  caf::actor_system& system() {
    return *sys_;
  }

  caf::timespan timeout() const {
    return timeout_;
  }

  void timeout(caf::timespan x) {
    timeout_ = x;
  }

private:
  /// The current `before_read` hook, shared with the shards that call it.
  struct before_read_slot;

  /// Routes `opts.before_read` through `before_read_`.
  options with_replaceable_before_read(options opts);

  /// Asks the store.
  template <class T, class... Ts>
  caf::expected<T> call(Ts&&... xs);

  /// Asks the shard of `key` directly when `key` is an exact, valid key; else the store.
  template <class T, class... Ts>
  caf::expected<T> call_on(const std::string& key, Ts&&... xs);

  template <class T, class Handle, class... Ts>
  caf::expected<T> call_at(const Handle& dest, Ts&&... xs);

  /// The shard of `key`, from the store's shard table (fetched once); null if unknown.
  caf::actor shard_for(const std::string& key);

  std::unique_ptr<caf::scoped_actor> borrow();

  void give_back(std::unique_ptr<caf::scoped_actor> self);

  /// The token the calling thread holds for `key`, 0 if none.
  uint64_t token_of(const std::string& key);

  void keep_token(const std::string& key, uint64_t token);

  /// Forgets the calling thread's token for `key`, if it is still `token`.
  void drop_token(const std::string& key, uint64_t token);

  std::shared_ptr<before_read_slot> before_read_;
  std::unique_ptr<caf::actor_system_config> own_cfg_;
  std::unique_ptr<caf::actor_system> own_sys_;
  caf::actor_system* sys_;
  store_actor store_;
  caf::timespan timeout_ = std::chrono::seconds{60};

  std::mutex mtx_;
  /// Blocking actors for requests; they also hold this facade's locks, so they live as long
  /// as the facade.
  std::vector<std::unique_ptr<caf::scoped_actor>> idle_;
  /// The store's shards, in `shard_of` order (empty until first needed).
  std::vector<caf::actor> shards_;
  /// Lock tokens by the thread holding the lock and the key.
  std::map<std::pair<std::thread::id, std::string>, uint64_t> tokens_;
  /// Subscriber actors of `watch`, to end those still running when the facade goes; weak, so
  /// that stopped ones do not pile up.
  std::vector<caf::weak_actor_ptr> watchers_;
};

} // namespace ooo::storage

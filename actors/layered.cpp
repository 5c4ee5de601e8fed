#include "actors/layered.hpp"

#include <algorithm>
#include <atomic>

#include "caf/actor_clock.hpp"
#include "caf/event_based_actor.hpp"
#include "caf/send.hpp"

#include "actors/store.hpp"
#include "messages/errc.hpp"
#include "messages/key.hpp"
#include "messages/register_types.hpp"

namespace ooo::storage {

namespace {

bytes to_bytes(std::string_view data) {
  return bytes(data.begin(), data.end());
}

std::string index_of(const receipt& r) {
  return std::string{last_segment(r.key)};
}

} // namespace

// -- watch_handle ------------------------------------------------------------------------------

watch_handle::watch_handle(store_actor store, uint64_t id, caf::actor subscriber)
  : store_(std::move(store)), id_(id), subscriber_(std::move(subscriber)) {
  // nop
}

watch_handle& watch_handle::operator=(watch_handle&& other) {
  stop();
  store_ = std::move(other.store_);
  id_ = other.id_;
  subscriber_ = std::move(other.subscriber_);
  return *this;
}

watch_handle::~watch_handle() {
  stop();
}

void watch_handle::stop() {
  if (store_)
    caf::anon_send(store_, caf::unsubscribe_atom::value, id_);
  if (subscriber_)
    caf::anon_send_exit(subscriber_, caf::exit_reason::user_shutdown);
  store_ = nullptr;
  subscriber_ = nullptr;
}

// -- layered: construction ---------------------------------------------------------------------

/// Shards call the hook on their own threads while `set_before_read` may swap it from any
/// thread: the function sits behind a `shared_ptr` read and written atomically, so a shard that
/// is inside the old hook keeps it alive. `present` spares every read the atomic load when no
/// hook is set.
struct layered::before_read_slot {
  using hook = std::function<void(const std::string&)>;
  std::atomic<bool> present{false};
  std::shared_ptr<const hook> fn;

  void store(hook x) {
    auto next = x ? std::make_shared<const hook>(std::move(x)) : nullptr;
    present.store(next != nullptr);
    std::atomic_store(&fn, std::move(next));
  }

  void operator()(const std::string& key) const {
    if (!present.load(std::memory_order_relaxed))
      return;
    if (auto current = std::atomic_load(&fn))
      (*current)(key);
  }
};

options layered::with_replaceable_before_read(options opts) {
  before_read_ = std::make_shared<before_read_slot>();
  before_read_->store(std::move(opts.before_read));
  opts.before_read = [slot = before_read_](const std::string& key) { (*slot)(key); };
  return opts;
}

namespace {

store_config make_store_config(layered_config cfg, options opts) {
  store_config result;
  result.opts = std::move(opts);
  result.mode = cfg.persistent ? cfg.mode : durability::memory;
  result.persistent = std::move(cfg.persistent);
  return result;
}

} // namespace

layered::layered(layered_config cfg, options opts)
  : own_cfg_(std::make_unique<caf::actor_system_config>()) {
  register_types(*own_cfg_);
  // A blocking call is one round trip. CAF's default work stealing lets idle workers sleep
  // 50 us per poll (a round trip of ~90 us); without the moderate phase they spin briefly and
  // then block until work arrives (~20 us, no idle spinning). See bench/README.md.
  own_cfg_->set("work-stealing.moderate-poll-attempts", size_t{0});
  own_sys_ = std::make_unique<caf::actor_system>(*own_cfg_);
  sys_ = own_sys_.get();
  store_ = spawn_store(*sys_, make_store_config(std::move(cfg),
                                                with_replaceable_before_read(std::move(opts))));
}

layered::layered(caf::actor_system& sys, layered_config cfg, options opts) : sys_(&sys) {
  store_ = spawn_store(*sys_, make_store_config(std::move(cfg),
                                                with_replaceable_before_read(std::move(opts))));
}

layered::~layered() {
  // Close answers whatever is still queued and flushes persistence; then every actor this
  // facade spawned must end, or the actor system's destructor would wait for it forever.
  call<void>(caf::close_atom::value);
  caf::anon_send_exit(store_, caf::exit_reason::user_shutdown);
  for (auto& watcher : watchers_)
    if (auto alive = watcher.lock())
      caf::anon_send_exit(caf::actor_cast<caf::actor>(alive), caf::exit_reason::user_shutdown);
  idle_.clear();
  // The shard table's handles keep the shards (and, through them, the persistence actor) from
  // being destroyed, and the actor system waits for that.
  shards_.clear();
  store_ = nullptr;
  own_sys_.reset();
}

// -- layered: plumbing -------------------------------------------------------------------------

std::unique_ptr<caf::scoped_actor> layered::borrow() {
  {
    std::lock_guard<std::mutex> guard{mtx_};
    if (!idle_.empty()) {
      auto self = std::move(idle_.back());
      idle_.pop_back();
      return self;
    }
  }
  return std::make_unique<caf::scoped_actor>(*sys_);
}

void layered::give_back(std::unique_ptr<caf::scoped_actor> self) {
  std::lock_guard<std::mutex> guard{mtx_};
  idle_.emplace_back(std::move(self));
}

template <class T, class... Ts>
caf::expected<T> layered::call(Ts&&... xs) {
  return call_at<T>(store_, std::forward<Ts>(xs)...);
}

template <class T, class... Ts>
caf::expected<T> layered::call_on(const std::string& key, Ts&&... xs) {
  // An exact key goes to its shard directly: one hop instead of two. A call waits for its
  // answer, so a thread's requests keep their order whichever way they go.
  if (!is_glob(key) && check_key(key) == errc::none) {
    if (auto shard = shard_for(key))
      return call_at<T>(shard, std::forward<Ts>(xs)...);
  }
  return call_at<T>(store_, std::forward<Ts>(xs)...);
}

caf::actor layered::shard_for(const std::string& key) {
  {
    std::lock_guard<std::mutex> guard{mtx_};
    if (!shards_.empty())
      return shards_[shard_of(key, shards_.size())];
  }
  auto table = call<std::vector<caf::actor>>(shards_atom::value);
  if (!table || table->empty())
    return nullptr;
  std::lock_guard<std::mutex> guard{mtx_};
  shards_ = std::move(*table);
  return shards_[shard_of(key, shards_.size())];
}

template <class T, class Handle, class... Ts>
caf::expected<T> layered::call_at(const Handle& dest, Ts&&... xs) {
  auto self = borrow();
  caf::expected<T> result{caf::error{}};
  auto on_error = [&](caf::error& err) { result = std::move(err); };
  auto hdl = (*self)->request(dest, timeout_, std::forward<Ts>(xs)...);
  if constexpr (std::is_void<T>::value)
    hdl.receive([&] { result = caf::expected<void>{}; }, on_error);
  else
    hdl.receive([&](T& x) { result = std::move(x); }, on_error);
  // A blocking actor leaves the request's timeout armed after the answer: it would arrive
  // later as a message nobody waits for, and every later receive of this pooled actor would
  // skip over all of them (each call slower, the mailbox growing without bound).
  sys_->clock().cancel_request_timeout(self->ptr(), hdl.id());
  give_back(std::move(self));
  return result;
}

uint64_t layered::token_of(const std::string& key) {
  std::lock_guard<std::mutex> guard{mtx_};
  if (tokens_.empty())
    return 0;
  auto i = tokens_.find({std::this_thread::get_id(), key});
  return i == tokens_.end() ? 0 : i->second;
}

void layered::keep_token(const std::string& key, uint64_t token) {
  std::lock_guard<std::mutex> guard{mtx_};
  tokens_[{std::this_thread::get_id(), key}] = token;
}

void layered::drop_token(const std::string& key, uint64_t token) {
  std::lock_guard<std::mutex> guard{mtx_};
  auto i = tokens_.find({std::this_thread::get_id(), key});
  if (i != tokens_.end() && i->second == token)
    tokens_.erase(i);
}

// -- lifecycle ---------------------------------------------------------------------------------

caf::expected<void> layered::start() {
  return call<void>(start_atom::value);
}

caf::expected<void> layered::close() {
  return call<void>(caf::close_atom::value);
}

bool layered::active() {
  auto result = call<bool>(active_atom::value);
  return result && *result;
}

// -- writes ------------------------------------------------------------------------------------

caf::expected<receipt> layered::write(const std::string& key, bytes data, write_options opts) {
  if (opts.token == 0)
    opts.token = token_of(key);
  auto result = call_on<receipt>(key, set_atom::value, key, std::move(data), opts);
  // The lock ran out (its lease): the token is of no use any more.
  if (!result && opts.token != 0 && is(result.error(), errc::lock_not_found))
    drop_token(key, opts.token);
  return result;
}

caf::expected<std::string> layered::set(const std::string& key, bytes data) {
  auto result = write(key, std::move(data));
  if (!result)
    return result.error();
  return index_of(*result);
}

caf::expected<std::string> layered::set(const std::string& key, std::string_view data) {
  return set(key, to_bytes(data));
}

caf::expected<receipt> layered::push_receipt(const std::string& pattern,
                                             std::string_view data) {
  return call<receipt>(push_atom::value, pattern, to_bytes(data));
}

caf::expected<std::string> layered::push(const std::string& pattern, std::string_view data) {
  auto result = push_receipt(pattern, data);
  if (!result)
    return result.error();
  return index_of(*result);
}

caf::expected<std::string> layered::set_with_meta(const std::string& key, std::string_view data,
                                                  int64_t created, int64_t updated) {
  write_options opts;
  opts.created = created;
  opts.updated = updated;
  opts.keep_times = true;
  auto result = write(key, to_bytes(data), opts);
  if (!result)
    return result.error();
  return index_of(*result);
}

namespace {

caf::expected<uint64_t> count_of(caf::expected<deleted> x) {
  if (!x)
    return x.error();
  return x->count;
}

} // namespace

caf::expected<uint64_t> layered::del(const std::string& key_or_pattern) {
  return count_of(call_on<deleted>(key_or_pattern, del_atom::value, key_or_pattern));
}

caf::expected<uint64_t> layered::del_silent(const std::string& key_or_pattern) {
  return count_of(call_on<deleted>(key_or_pattern, del_silent_atom::value, key_or_pattern));
}

caf::expected<uint64_t> layered::clear() {
  return count_of(call<deleted>(clear_atom::value));
}

// -- reads -------------------------------------------------------------------------------------

caf::expected<object> layered::get(const std::string& key) {
  return call_on<object>(key, caf::get_atom::value, key);
}

caf::expected<std::vector<object>> layered::list(const std::string& pattern,
                                                 list_options opts) {
  return call<std::vector<object>>(list_atom::value, pattern, opts);
}

caf::expected<std::vector<object>> layered::get_list(const std::string& pattern) {
  list_options opts;
  opts.ascending = true;
  return list(pattern, opts);
}

caf::expected<std::vector<object>> layered::get_list_descending(const std::string& pattern) {
  return list(pattern, list_options{});
}

caf::expected<std::vector<object>> layered::get_n(const std::string& pattern, int64_t offset,
                                                  int64_t limit) {
  list_options opts;
  opts.offset = offset;
  opts.limit = limit;
  return list(pattern, opts);
}

caf::expected<std::vector<object>>
layered::get_n_ascending(const std::string& pattern, int64_t offset, int64_t limit) {
  list_options opts;
  opts.ascending = true;
  opts.offset = offset;
  opts.limit = limit;
  return list(pattern, opts);
}

caf::expected<std::vector<object>>
layered::get_n_range(const std::string& pattern, int64_t limit, int64_t from, int64_t to) {
  // The message interface reads a limit of 0 as "all"; the seed's GetNRange refuses it.
  if (limit <= 0)
    return make_error(errc::invalid_limit, pattern + ": get_n_range needs a positive limit, got "
                                             + std::to_string(limit));
  list_options opts;
  opts.limit = limit;
  opts.created_from = from;
  opts.created_to = to;
  return list(pattern, opts);
}

caf::expected<std::vector<std::string>> layered::keys() {
  return keys(std::string{});
}

caf::expected<std::vector<std::string>> layered::keys(const std::string& pattern) {
  return call<std::vector<std::string>>(keys_atom::value, pattern, list_options{});
}

caf::expected<std::vector<std::string>>
layered::keys_range(const std::string& pattern, int64_t from, int64_t to) {
  // The message interface also answers an exact key; the seed's KeysRange wants a pattern.
  if (check_pattern(pattern) == errc::none && !is_glob(pattern))
    return make_error(errc::glob_required, pattern);
  list_options opts;
  opts.created_from = from;
  opts.created_to = to;
  return call<std::vector<std::string>>(keys_atom::value, pattern, opts);
}

caf::expected<std::vector<batch_result>> layered::batch(std::vector<batch_op> ops) {
  return call<std::vector<batch_result>>(batch_atom::value, std::move(ops));
}

caf::expected<std::vector<batch_result>>
layered::set_many(const std::vector<std::pair<std::string, bytes>>& items) {
  std::vector<batch_op> ops;
  ops.reserve(items.size());
  for (auto& [key, data] : items) {
    batch_op op;
    op.kind = batch_kind::set;
    op.key = key;
    op.data = data;
    ops.emplace_back(std::move(op));
  }
  return batch(std::move(ops));
}

caf::expected<std::vector<batch_result>> layered::get_many(const std::vector<std::string>& keys) {
  std::vector<batch_op> ops;
  ops.reserve(keys.size());
  for (auto& key : keys) {
    batch_op op;
    op.kind = batch_kind::get;
    op.key = key;
    ops.emplace_back(std::move(op));
  }
  return batch(std::move(ops));
}

caf::expected<store_stats> layered::stats() {
  return call<store_stats>(stats_atom::value);
}

// -- hooks -------------------------------------------------------------------------------------

void layered::set_before_read(std::function<void(const std::string& key)> hook) {
  before_read_->store(std::move(hook));
}

// -- locks -------------------------------------------------------------------------------------

caf::expected<void> layered::lock(const std::string& key) {
  auto token = call_on<uint64_t>(key, lock_atom::value, key, uint32_t{0});
  if (!token)
    return token.error();
  keep_token(key, *token);
  return {};
}

caf::expected<object> layered::get_and_lock(const std::string& key) {
  auto grant = call_on<lock_grant>(key, get_lock_atom::value, key, uint32_t{0});
  if (!grant)
    return grant.error();
  keep_token(key, grant->token);
  return std::move(grant->value);
}

caf::expected<std::string> layered::set_and_unlock(const std::string& key,
                                                   std::string_view data) {
  write_options opts;
  opts.token = token_of(key);
  if (opts.token == 0)
    return make_error(errc::lock_not_found, key);
  opts.unlock = true;
  auto result = write(key, to_bytes(data), opts);
  if (!result) {
    // The seed's SetAndUnlock releases the lock whatever the write's outcome, as a mutex's
    // deferred unlock does: a thread whose write failed (a full disk, a conflict) would
    // otherwise keep every other thread of the program waiting until the lease runs out.
    if (!is(result.error(), errc::lock_not_found)) {
      call_on<void>(key, unlock_atom::value, key, opts.token);
      drop_token(key, opts.token);
    }
    return result.error();
  }
  drop_token(key, opts.token);
  return index_of(*result);
}

caf::expected<void> layered::unlock(const std::string& key) {
  auto token = token_of(key);
  if (token == 0)
    return make_error(errc::lock_not_found, key);
  auto result = call_on<void>(key, unlock_atom::value, key, token);
  // Gone either way: released now, or already released by its lease.
  drop_token(key, token);
  return result;
}

// -- events ------------------------------------------------------------------------------------

caf::expected<watch_handle> layered::watch(const std::string& pattern,
                                           std::function<void(const event&)> callback,
                                           subscribe_options opts,
                                           std::function<void(const lagged&)> on_lag) {
  auto subscriber = sys_->spawn([callback, on_lag](caf::event_based_actor*) -> caf::behavior {
    return {
      // Returning acknowledges the batch: the callback's pace is the subscription's pace.
      [callback](const event_batch& batch) {
        for (auto& ev : batch.events)
          callback(ev);
      },
      [on_lag](const lagged& notice) {
        if (on_lag)
          on_lag(notice);
      },
    };
  });
  auto id = call<uint64_t>(caf::subscribe_atom::value, pattern, subscriber, opts);
  if (!id) {
    caf::anon_send_exit(subscriber, caf::exit_reason::user_shutdown);
    return id.error();
  }
  std::lock_guard<std::mutex> guard{mtx_};
  watchers_.erase(std::remove_if(watchers_.begin(), watchers_.end(),
                                 [](const caf::weak_actor_ptr& w) { return !w.lock(); }),
                  watchers_.end());
  watchers_.push_back(caf::actor_cast<caf::weak_actor_ptr>(subscriber));
  return watch_handle{store_, *id, subscriber};
}

} // namespace ooo::storage

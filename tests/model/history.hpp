#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <vector>

#include "caf/error.hpp"

#include "messages/errc.hpp"
#include "messages/object.hpp"

namespace ooo::storage::model {

/// Orders every recorded moment (a request sent, an answer received, a commit written, a batch
/// of events received) by taking the next number: ticks order moments as they happened, also
/// across threads (one atomic counter), and leave room between them for linearization points.
class ticker {
public:
  uint64_t tick() {
    return next_.fetch_add(1, std::memory_order_relaxed);
  }

private:
  std::atomic<uint64_t> next_{1};
};

/// What a recorded request asked for.
enum class op_kind : uint8_t {
  set,             ///< set key value [write_options]
  push,            ///< push pattern value
  get,             ///< get key
  del,             ///< del key
  del_silent,      ///< delsilent key
  del_glob,        ///< del pattern
  del_glob_silent, ///< delsilent pattern
  clear,           ///< clear
  list,            ///< list pattern list_options
  keys,            ///< keys pattern list_options
  lock,            ///< lock key lease
  get_lock,        ///< getlock key lease
  unlock,          ///< unlock key token
};

const char* to_string(op_kind x);

/// True for the kinds that change the store when they succeed.
bool is_write(op_kind x);

/// True for the kinds whose key is a pattern (or, for `clear`, everything).
bool is_multi_key(op_kind x);

/// One request as a client sent it and what came back.
struct op {
  uint64_t id = 0;
  /// Who sent it; requests of one client with `pipelined` set may be in flight together.
  int client = 0;
  bool pipelined = false;
  /// The client's send order.
  uint64_t seq = 0;
  op_kind kind = op_kind::get;
  /// The key, or the pattern ("" for clear and for keys of everything).
  std::string key;
  bytes value;
  write_options wopts;
  list_options lopts;
  uint32_t lease_ms = 0;
  /// For `unlock`: the token released.
  uint64_t token = 0;
  /// For writes and releases that rely on a lock: the op that granted it (0: none).
  uint64_t grant = 0;
  /// The client never learns the receipt of this write (the facade's `set_and_unlock`
  /// answers the index only).
  bool receipt_unknown = false;
  uint64_t invoke = 0;
  /// 0 while no answer arrived.
  uint64_t complete = 0;
  /// Empty on success.
  caf::error error;
  // -- what a success answered --
  receipt written;
  object read;
  std::vector<object> listed;
  std::vector<std::string> keys_listed;
  /// `del`/`clear`: how many keys; `lock`/`getlock`: the token.
  uint64_t number = 0;
  /// `del`/`clear`: the revision of the deletion (a glob's unit), 0 if nothing was deleted.
  uint64_t revision = 0;

  bool ok() const {
    return complete != 0 && !error;
  }

  bool failed_with(errc code) const {
    return complete != 0 && is(error, code);
  }
};

/// One subscription as its subscriber saw it.
struct subscription_record {
  int client = 0;
  std::string pattern;
  subscribe_options opts;
  uint64_t invoke = 0;
  uint64_t complete = 0;
  caf::error error;
  uint64_t id = 0;
  struct batch {
    uint64_t tick = 0;
    std::vector<event> events;
  };
  struct notice {
    uint64_t tick = 0;
    /// How many batches had arrived before it.
    size_t after_batches = 0;
    lagged what;
  };
  std::vector<batch> batches;
  std::vector<notice> notices;
  /// When the subscriber stopped listening (0: it listened to the end of the run).
  uint64_t stopped = 0;
};

/// One change as the persistence layer accepted it.
struct commit {
  change what;
  uint64_t unit = 0;
  /// When the adapter's write returned.
  uint64_t tick = 0;
  /// Which adapter write (group commit) carried it.
  uint64_t batch = 0;

  uint64_t revision() const {
    return what.value.revision;
  }
};

/// Everything one run recorded. Thread-safe: clients on several threads append to it.
class history {
public:
  ticker clock;

  /// Records a request about to be sent; returns its id (its index + 1). A `set` or `push`
  /// writes `make_value(id, payload)`, so that every committed value names its writer.
  uint64_t invoke(op x, const std::string& payload = {});

  /// Records the answer of request `id`; `fill` sets the result fields.
  template <class F>
  void complete(uint64_t id, F fill) {
    std::lock_guard<std::mutex> guard{mtx_};
    auto& x = ops_[id - 1];
    fill(x);
    x.complete = clock.tick();
  }

  /// Records a subscription about to be requested; returns its index.
  size_t subscribe(subscription_record x);

  template <class F>
  void update_subscription(size_t index, F f) {
    std::lock_guard<std::mutex> guard{mtx_};
    f(subs_[index]);
  }

  void record_commits(const std::vector<change>& batch, const std::vector<uint64_t>& units);

  /// Copies of what was recorded (call when no client runs any more).
  std::vector<op> ops() const;
  std::vector<subscription_record> subscriptions() const;
  std::vector<commit> commits() const;

private:
  mutable std::mutex mtx_;
  std::deque<op> ops_;
  std::deque<subscription_record> subs_;
  std::vector<commit> commits_;
  uint64_t batches_ = 0;
};

/// A value that names the op that wrote it: `v<id>:<payload>`.
bytes make_value(uint64_t op_id, const std::string& payload);

/// The op id inside a value made by `make_value`, or 0.
uint64_t writer_of(const bytes& value);

/// The payload inside a value made by `make_value`.
std::string payload_of(const bytes& value);

/// One line describing `x` for a report.
std::string describe(const op& x);

} // namespace ooo::storage::model

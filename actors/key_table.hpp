#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <string>
#include <unordered_map>
#include <vector>

#include "caf/actor_addr.hpp"

namespace ooo::storage {

/// How an operation on one key relates to the key's lock.
enum class op_class : uint8_t {
  /// get: never waits for a lock.
  read,
  /// set, del: waits while someone else holds the lock (a write with the holder's token passes).
  write,
  /// lock, get_and_lock: waits while someone else holds the lock, then takes it.
  lock,
  /// unlock: never waits for a lock.
  unlock,
};

/// An operation that could not run yet. `run` re-runs its whole admission: it either runs now
/// or parks itself again.
struct parked_op {
  /// Arrival order at the shard: ops of one client on one key run in this order.
  uint64_t ticket = 0;
  caf::actor_addr client;
  op_class cls = op_class::read;
  /// A write's token (0: none).
  uint64_t token = 0;
  std::function<void()> run;
};

/// A shard's per-key bookkeeping: the lock, the write in flight, and the operations waiting
/// for either. An entry exists only while the key is locked, has a write in flight or has
/// waiting operations, so the table stays as small as the contention.
///
/// The rules (why an op on key `k` from client `c` waits):
/// - a write of `k` is in flight: everything waits (a reply means the op took effect, so
///   nothing may overtake a write that has not);
/// - `k` is locked by another token: writes and lock requests wait (reads and unlocks pass);
/// - an earlier op of `c` on `k` still waits: ops of one client on one key keep their order.
/// Ops of other clients that are not blocked themselves may overtake waiting ones: they are
/// concurrent with them.
class key_table {
public:
  struct entry {
    uint64_t token = 0;
    caf::actor_addr holder;
    bool in_flight = false;
    /// The ticket of the write in flight.
    uint64_t flight_ticket = 0;
    caf::actor_addr flight_client;
    std::deque<parked_op> queue;

    bool idle() const {
      return token == 0 && !in_flight && queue.empty();
    }
  };

  /// Why an op cannot run on `key` now; `none` if it can.
  enum class obstacle : uint8_t { none, in_flight, locked, turn };

  /// Checks the op of `client` that arrived with `ticket`.
  obstacle check(const std::string& key, const caf::actor_addr& client, op_class cls,
                 uint64_t token, uint64_t ticket) const;

  /// Parks an op on `key`, in ticket order.
  void park(const std::string& key, parked_op op);

  /// How many ops wait on `key` because of its lock (for the lock-waiter limit).
  size_t lock_waiters(const std::string& key) const;

  /// Re-runs every op parked on `key`, in ticket order (each runs or parks again). The ops not
  /// re-run yet stay in the queue meanwhile, where whoever looks (a query deciding whether it
  /// may answer) sees them.
  void resume(const std::string& key);

  /// Re-runs the ops parked on every key for which `pred(key)` holds.
  void resume_if(const std::function<bool(const std::string&)>& pred);

  // -- the write in flight ---------------------------------------------------------------------

  void begin_write(const std::string& key, uint64_t ticket, const caf::actor_addr& client);

  /// The write of `key` is answered: resumes what waited for it.
  void end_write(const std::string& key);

  // -- the lock --------------------------------------------------------------------------------

  /// The lock's token of `key` (0: unlocked).
  uint64_t token(const std::string& key) const;

  void take_lock(const std::string& key, uint64_t token, const caf::actor_addr& holder);

  /// Unlocks `key` if `token` holds it; resumes its waiters. Returns the holder, or null if
  /// `token` does not hold the lock.
  caf::actor_addr release_lock(const std::string& key, uint64_t token);

  /// The keys whose lock `holder` holds, with their tokens.
  std::vector<std::pair<std::string, uint64_t>> locks_of(const caf::actor_addr& holder) const;

  // -- what barriers and stats ask -------------------------------------------------------------

  const std::unordered_map<std::string, entry>& entries() const {
    return entries_;
  }

  /// Every parked op is dropped (answered by the caller beforehand).
  std::vector<parked_op> take_all_parked();

  size_t locks() const;

  /// Ops waiting for a lock, on every key.
  size_t lock_waiters() const;

private:
  void forget_if_idle(std::unordered_map<std::string, entry>::iterator i);

  std::unordered_map<std::string, entry> entries_;
};

} // namespace ooo::storage

#pragma once

// The load generator: client actors that pipeline requests into a store, and helpers to start
// and stop stores. Used by every section that measures throughput through the actors.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "caf/fwd.hpp"

#include "actors/options.hpp"
#include "messages/object.hpp"
#include "messages/store_actor.hpp"

namespace ooo::storage::bench {

enum class op_kind { set, get };

/// What one `drive` call measured.
struct load_result {
  double seconds = 0;
  uint64_t ops = 0;
  /// Requests answered with an error (should be 0; printed if not).
  uint64_t errors = 0;
  /// CPU time (user + system, all threads of the process) spent during the run.
  double cpu_seconds = 0;

  double rate() const {
    return seconds > 0 ? static_cast<double>(ops) / seconds : 0;
  }

  /// Microseconds of CPU per request, over every thread (clients, store, shards, ...).
  double cpu_us_per_op() const {
    return ops > 0 ? cpu_seconds * 1e6 / static_cast<double>(ops) : 0;
  }
};

/// CPU time (user + system) of the whole process so far, in seconds.
double process_cpu_seconds();

/// Sends `kind` requests for every key of `keys` to `store` from `clients` client actors, each
/// keeping `window` requests in flight (`request(...).then`, the next request leaves when a
/// reply arrives), and waits until every request is answered. Client `c` handles the keys
/// `c, c + clients, c + 2 * clients, ...`. Sets write `value`: the same shared buffer for
/// every key, or with `copy_value` a buffer of its own per request (as values arriving from
/// remote clients are), which is what the memory section needs to count values at all.
/// With `batch` > 1 (sets only), each request is one `batch` message of that many sets of
/// consecutive keys, and client `c` handles the batches `c, c + clients, ...`.
load_result drive(caf::actor_system& sys, const store_actor& store,
                  const std::shared_ptr<const std::vector<std::string>>& keys, op_kind kind,
                  const std::shared_ptr<const bytes>& value, size_t clients, size_t window,
                  bool copy_value = false, size_t batch = 1);

/// `count` keys `prefix0`, `prefix1`, ...
std::shared_ptr<const std::vector<std::string>> make_keys(const std::string& prefix, size_t count,
                                                          size_t first = 0);

/// A value of `size` bytes of JSON-ish text.
std::shared_ptr<const bytes> make_value(size_t size);

/// Spawns a store and sends it `start`; throws `std::runtime_error` if start fails.
store_actor start_store(caf::actor_system& sys, store_config cfg);

/// Closes the store (flushing persistence), then ends it and everything it spawned.
void stop_store(caf::actor_system& sys, store_actor& store);

/// The store's `stats` answer; throws on error.
store_stats fetch_stats(caf::actor_system& sys, const store_actor& store);

} // namespace ooo::storage::bench

#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <vector>

#include "caf/behavior.hpp"
#include "caf/event_based_actor.hpp"
#include "caf/response_promise.hpp"
#include "caf/stateful_actor.hpp"

#include "actors/layered.hpp"
#include "tests/soak/key_ids.hpp"
#include "tests/soak/observations.hpp"

namespace ooo::storage::soak {

// The subscribers of the soak: the oracle every event is checked against, transient
// subscribers that come and go, and one that never acknowledges.

/// The oracle: lossless, every key, resumed from its last revision every few seconds (stop,
/// then subscribe again), so that what it saw is the store's complete event history.
struct oracle_state {
  std::mutex mtx;
  uint64_t generation = 0;
  uint64_t last = 0;
  uint64_t resumes = 0;
  std::vector<seen_event> events;
  watch_handle handle;
};

/// Starts the oracle, or resumes it from its last revision; violations are recorded failures.
void oracle_subscribe(layered& store, const std::shared_ptr<oracle_state>& o);

/// A subscriber that comes and goes: drop mode, resumes from the oracle's position when it
/// starts, one of a few patterns.
struct transient_state {
  std::mutex mtx;
  std::string pattern;
  int thread = -1; // -1: any
  int group = -1;
  uint64_t since = 0;
  bool stopped = false;
  std::deque<seen_event> entries;
  uint64_t mismatched = 0;
  watch_handle handle;

  /// True if the key with this id matches the pattern.
  bool covers(uint64_t id) const {
    return (thread < 0 || thread_of(id) == thread) && (group < 0 || group_of(id) == group);
  }
};

/// Starts a transient subscriber of a random pattern (`s<t>/*/*`, `*/g<g>/*` or `*/*/*`)
/// resuming after `since`; null (and a failure recorded) if the store refuses it.
std::shared_ptr<transient_state> start_transient(layered& store, std::mt19937_64& rng,
                                                 int threads, uint64_t since);

/// Stops a transient subscriber; what arrives afterwards is ignored.
void stop_transient(transient_state& s);

/// A subscriber that never acknowledges: it parks every batch's response promise.
struct stalled_state {
  std::vector<caf::response_promise> parked;
  /// Events of the parked batches.
  uint64_t events = 0;
  static inline const char* name = "ooo.soak.stalled";
};

/// Answers `get` with the number of events it holds.
caf::behavior stalled_subscriber(caf::stateful_actor<stalled_state>* self);

} // namespace ooo::storage::soak

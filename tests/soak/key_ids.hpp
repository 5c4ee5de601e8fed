#pragma once

#include <cstdint>
#include <string>

namespace ooo::storage::soak {

// Every key has three segments: `s<thread>/<group>/<item>`, plus the shared `x/lock/counter`.
// A key's id packs thread (8 bits), group (8 bits) and item (48 bits), so that the logs of
// writers and subscribers stay compact and subscriber patterns can be matched on ids.

/// The group of pushed keys, `s<t>/q/<hex>`.
constexpr uint64_t group_push = 255;
/// The group of compare-and-set keys, `s<t>/cas/<i>`.
constexpr uint64_t group_cas = 254;
/// The group of keys locked by holders that die, `s<t>/lk/<i>`.
constexpr uint64_t group_lockkey = 253;
/// The group of the shared counter.
constexpr uint64_t group_counter = 252;
/// The thread of the shared counter.
constexpr uint64_t shared_thread = 255;

/// The one key all writer threads share, incremented under the store's lock.
inline const std::string counter_key = "x/lock/counter";

/// The id of a key of the workload.
uint64_t id_of(const std::string& key);

/// Thread, group and item of an id, for failure messages.
std::string describe(uint64_t id);

/// The thread part of an id.
inline int thread_of(uint64_t id) {
  return static_cast<int>(id >> 56);
}

/// The group part of an id.
inline int group_of(uint64_t id) {
  return static_cast<int>((id >> 48) & 0xff);
}

} // namespace ooo::storage::soak

#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "messages/object.hpp"
#include "tests/soak/observations.hpp"
#include "tests/soak/subscribers.hpp"

namespace ooo::storage::soak {

// The soak's invariants. Each check records a failure (see failures.hpp) for every violation
// it finds; none of them stops at the first.

/// The oracle saw what the writers did: per key the same changes in the same order, each set at
/// the revision the writer got back. Sorts `writes`.
void check_oracle(std::vector<op_record>& writes, const std::vector<seen_event>& truth);

/// A transient subscriber saw only oracle events of its pattern, in order, and the matching
/// events it did not get, between two it got, are exactly those its `lagged` notices
/// announced. Adds what it saw to `events` and what it was told it lost to `dropped`.
void check_transient(transient_state& s, const std::vector<seen_event>& truth, size_t index,
                     uint64_t& events, uint64_t& dropped);

/// The store's memory holds exactly the model: every key, every value.
void check_memory_matches_model(const std::map<std::string, object>& in_memory,
                                const std::map<std::string, bytes>& model);

/// The shared counter holds the number of increments made under its lock: none was lost.
void check_counter(const std::map<std::string, object>& in_memory, uint64_t increments);

/// After a restart the store holds what its memory held before: every key, every field.
void check_disk_matches_memory(const std::map<std::string, object>& before,
                               const std::map<std::string, object>& after);

/// A lossless resume after the restart replayed exactly the oracle's events after `since`.
void check_replay(uint64_t since, const std::vector<seen_event>& replayed,
                  const std::vector<seen_event>& expected);

} // namespace ooo::storage::soak

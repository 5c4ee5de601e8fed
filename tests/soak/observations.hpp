#pragma once

#include <cstddef>
#include <cstdint>

#include "messages/object.hpp"

namespace ooo::storage::soak {

// What the soak writes down while it runs: the changes writers made and the events subscribers
// saw. The invariants compare the two at the end. Both are kept compact (ids, not keys), and
// their memory is counted, since the RSS bound is checked on RSS minus these logs.

constexpr uint8_t op_set = 1;
constexpr uint8_t op_del = 2;
/// A `lagged` notice in a subscriber's log.
constexpr uint8_t op_notice = 3;

/// One change as a writer saw it. `seq` orders the changes of one key (taken after the reply,
/// and a key's changes never overlap); `revision` is 0 for deletes (the store answers counts).
struct op_record {
  uint64_t seq;
  uint64_t id;
  uint64_t revision;
  uint8_t op;
};

/// One event as a subscriber saw it; `op_notice` entries are `lagged` notices (`id` holds the
/// dropped count, `revision` the resume point).
struct seen_event {
  uint64_t revision;
  uint64_t id;
  uint8_t op;
};

/// An event of the store as a subscriber's log entry.
seen_event seen(const event& ev);

/// Counts `n` more bytes held by the soak's logs. Thread-safe.
void count_log_bytes(size_t n);

/// Bytes held by the soak's logs so far.
size_t log_bytes();

} // namespace ooo::storage::soak

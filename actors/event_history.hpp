#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>

#include "messages/object.hpp"

namespace ooo::storage {

/// The events a subscriber can resume from: the newest visible changes, oldest first, bounded
/// by a count and by the bytes of their keys and values. Trimming takes whole units (a glob
/// delete's events go together), so a resume from a unit boundary never sees half of one.
class event_history {
public:
  using const_iterator = std::deque<event>::const_iterator;

  event_history(size_t max_events, size_t max_bytes);

  /// Appends the event of the newest visible change (revisions increase), then trims the oldest
  /// units while either bound is exceeded. With `max_events == 0` nothing is kept.
  void append(event ev);

  /// Every visible change after this revision is retained; older ones may be gone. A resume
  /// point (`since`) older than this is `compacted`.
  uint64_t compacted() const {
    return compacted_;
  }

  /// Declares everything up to `revision` gone (the history loaded from disk starts after it).
  void compact_to(uint64_t revision);

  /// The first retained event with a revision greater than `revision`.
  const_iterator after(uint64_t revision) const;

  const_iterator end() const {
    return events_.end();
  }

  size_t size() const {
    return events_.size();
  }

  size_t bytes() const {
    return bytes_;
  }

  /// What an event costs against the byte bound: its key and value.
  static size_t cost(const event& ev);

private:
  void trim();

  size_t max_events_;
  size_t max_bytes_;
  std::deque<event> events_;
  size_t bytes_ = 0;
  uint64_t compacted_ = 0;
};

} // namespace ooo::storage

#include "actors/event_history.hpp"

#include <algorithm>

namespace ooo::storage {

event_history::event_history(size_t max_events, size_t max_bytes)
  : max_events_(max_events), max_bytes_(max_bytes) {
  // nop
}

size_t event_history::cost(const event& ev) {
  return ev.key.size() + (ev.value ? ev.value->data.size() + ev.value->path.size() : 0);
}

void event_history::append(event ev) {
  if (max_events_ == 0) {
    compacted_ = ev.revision;
    return;
  }
  bytes_ += cost(ev);
  events_.emplace_back(std::move(ev));
  trim();
}

void event_history::compact_to(uint64_t revision) {
  compacted_ = std::max(compacted_, revision);
  while (!events_.empty() && events_.front().revision <= compacted_) {
    bytes_ -= cost(events_.front());
    events_.pop_front();
  }
}

void event_history::trim() {
  while (!events_.empty() && (events_.size() > max_events_ || bytes_ > max_bytes_)) {
    // The rest of the front event's unit goes with it.
    compact_to(std::max(events_.front().revision, events_.front().unit));
  }
}

event_history::const_iterator event_history::after(uint64_t revision) const {
  return std::upper_bound(events_.begin(), events_.end(), revision,
                          [](uint64_t rev, const event& ev) { return rev < ev.revision; });
}

} // namespace ooo::storage

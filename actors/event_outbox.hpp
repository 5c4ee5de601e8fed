#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "messages/object.hpp"

namespace ooo::storage {

/// The changes of the batch a shard is applying: the events of visible changes and the bare
/// revisions of hidden ones (which still take their place in the event log's revision order),
/// plus the keys whose `after_write` hook runs once they are out. A shard publishes them once
/// per commit batch, before it answers the batch's writes.
class event_outbox {
public:
  void add(event ev) {
    events_.emplace_back(std::move(ev));
  }

  void hide(uint64_t revision) {
    hidden_.push_back(revision);
  }

  void written(const std::string& key) {
    written_.push_back(key);
  }

  bool empty() const {
    return events_.empty() && hidden_.empty();
  }

  /// Takes what is to be published (leaves the outbox empty).
  std::vector<event> take_events() {
    auto result = std::move(events_);
    events_.clear();
    return result;
  }

  std::vector<uint64_t> take_hidden() {
    auto result = std::move(hidden_);
    hidden_.clear();
    return result;
  }

  std::vector<std::string> take_written() {
    auto result = std::move(written_);
    written_.clear();
    return result;
  }

private:
  std::vector<event> events_;
  std::vector<uint64_t> hidden_;
  std::vector<std::string> written_;
};

} // namespace ooo::storage

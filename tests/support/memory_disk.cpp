#include "tests/support/memory_disk.hpp"

namespace ooo::storage::test {

memory_disk_adapter::memory_disk_adapter(std::shared_ptr<memory_disk> disk)
  : disk_(std::move(disk)) {
  // nop
}

caf::error memory_disk_adapter::write(const std::vector<change>& batch,
                                      uint64_t last_revision) {
  std::lock_guard<std::mutex> guard{disk_->mtx};
  auto units = unit_ends(batch);
  for (size_t i = 0; i < batch.size(); ++i) {
    auto& x = batch[i];
    if (x.put) {
      auto& stored = disk_->records[x.key];
      stored = x.value;
      stored.path = x.key;
    } else {
      disk_->records.erase(x.key);
    }
    if (disk_->retain > 0 && x.visible) {
      event ev;
      ev.revision = x.value.revision;
      ev.key = x.key;
      ev.op = x.put ? event_op::set : event_op::del;
      if (x.put) {
        ev.value = x.value;
        ev.value->path = x.key;
      }
      ev.unit = units[i];
      disk_->history[ev.revision] = std::move(ev);
    }
  }
  disk_->last_revision = last_revision;
  if (disk_->retain > 0 && last_revision > disk_->retain)
    disk_->history.erase(disk_->history.begin(),
                         disk_->history.upper_bound(last_revision - disk_->retain));
  return caf::none;
}

caf::error memory_disk_adapter::load(const std::function<void(object&&)>& sink,
                                     uint64_t& last_revision) {
  std::lock_guard<std::mutex> guard{disk_->mtx};
  for (auto& [key, value] : disk_->records) {
    auto copy = value;
    sink(std::move(copy));
  }
  last_revision = disk_->last_revision;
  return caf::none;
}

void memory_disk_adapter::retain_history(uint64_t revisions, uint64_t) {
  // Bounded by count only: a test disk holds little.
  std::lock_guard<std::mutex> guard{disk_->mtx};
  disk_->retain = revisions;
}

caf::error memory_disk_adapter::load_history(const std::function<void(event&&)>& sink,
                                             uint64_t last_revision, uint64_t& compacted) {
  std::lock_guard<std::mutex> guard{disk_->mtx};
  compacted = last_revision > disk_->retain ? last_revision - disk_->retain : 0;
  for (auto& [revision, ev] : disk_->history) {
    if (revision <= compacted)
      continue;
    auto copy = ev;
    sink(std::move(copy));
  }
  return caf::none;
}

} // namespace ooo::storage::test

#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "persistence/adapter.hpp"

namespace ooo::storage::test {

/// A persistent layer kept in memory that outlives the stores using it: a test restarts a
/// store by opening a new `memory_disk_adapter` on the same disk. It behaves like the RocksDB
/// adapter (atomic batches, the revision counter, the retained history) without touching one.
struct memory_disk {
  std::mutex mtx;
  std::map<std::string, object> records;
  uint64_t last_revision = 0;
  /// Retained events of visible changes, by revision.
  std::map<uint64_t, event> history;
  /// How many revisions of history to keep (set by the store at start).
  uint64_t retain = 0;
};

class memory_disk_adapter : public adapter {
public:
  explicit memory_disk_adapter(std::shared_ptr<memory_disk> disk);

  caf::error write(const std::vector<change>& batch, uint64_t last_revision) override;

  caf::error load(const std::function<void(object&&)>& sink, uint64_t& last_revision) override;

  void retain_history(uint64_t revisions, uint64_t bytes) override;

  caf::error load_history(const std::function<void(event&&)>& sink, uint64_t last_revision,
                          uint64_t& compacted) override;

private:
  std::shared_ptr<memory_disk> disk_;
};

} // namespace ooo::storage::test

#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace ooo::storage {

/// When each lock of a shard runs out. A shard keeps one timer for the earliest deadline
/// instead of one per lock: a lock taken and released a million times must not leave a
/// million pending timer messages behind.
class lease_table {
public:
  using clock = std::chrono::steady_clock;

  /// Registers the lease of `token` on `key`.
  void add(const std::string& key, uint64_t token, clock::time_point deadline);

  /// Forgets the lease of `token` (released before it ran out).
  void remove(uint64_t token);

  /// Removes and returns the leases whose deadline is not after `now`.
  std::vector<std::pair<std::string, uint64_t>> expire(clock::time_point now);

  /// The earliest deadline, if any.
  std::optional<clock::time_point> next() const;

  size_t size() const {
    return by_token_.size();
  }

private:
  std::multimap<clock::time_point, std::pair<std::string, uint64_t>> by_deadline_;
  std::unordered_map<uint64_t, decltype(by_deadline_)::iterator> by_token_;
};

} // namespace ooo::storage

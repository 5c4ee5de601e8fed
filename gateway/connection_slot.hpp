#pragma once

#include <atomic>
#include <cstddef>
#include <memory>

#include "gateway/metrics.hpp"

namespace ooo::storage::gateway {

/// Counts open connections against `--http-max-connections`.
class connection_limit {
public:
  connection_limit(size_t max, gateway_metrics& metrics) : max_(max), metrics_(metrics) {
    // nop
  }

  /// Takes a place; false if all are taken.
  bool try_take() {
    auto n = open_.fetch_add(1, std::memory_order_relaxed);
    if (n >= max_) {
      open_.fetch_sub(1, std::memory_order_relaxed);
      metrics_.connection_refused();
      return false;
    }
    metrics_.connection_opened();
    return true;
  }

  void give_back() {
    open_.fetch_sub(1, std::memory_order_relaxed);
    metrics_.connection_closed();
  }

  size_t open() const {
    return open_.load(std::memory_order_relaxed);
  }

private:
  size_t max_;
  gateway_metrics& metrics_;
  std::atomic<size_t> open_{0};
};

/// One taken place of a `connection_limit`, given back when the last copy goes.
using connection_slot = std::shared_ptr<void>;

/// Takes a place, or nothing if the limit is reached. The limit must outlive the slot.
inline connection_slot take_slot(connection_limit& limit) {
  if (!limit.try_take())
    return nullptr;
  return connection_slot{static_cast<void*>(&limit),
                         [](void* p) { static_cast<connection_limit*>(p)->give_back(); }};
}

} // namespace ooo::storage::gateway

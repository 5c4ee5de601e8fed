#include "messages/clock.hpp"

#include <atomic>
#include <chrono>

namespace ooo::storage {

namespace {

std::atomic<int64_t> last_timestamp{0};

} // namespace

int64_t next_timestamp() {
  auto now = std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::system_clock::now().time_since_epoch())
               .count();
  auto last = last_timestamp.load(std::memory_order_relaxed);
  int64_t next;
  do {
    next = now > last ? now : last + 1;
  } while (!last_timestamp.compare_exchange_weak(last, next, std::memory_order_relaxed));
  return next;
}

} // namespace ooo::storage

#include "actors/hook_call.hpp"

#include <chrono>
#include <mutex>

#include "spdlog/spdlog.h"

namespace ooo::storage {

void log_hook_failure(std::string_view hook, std::string_view key, std::string_view what) {
  // At most this many lines a second: a hook that fails on every write must not flood the log.
  constexpr size_t lines_per_second = 10;
  // Hooks run on every shard's thread; the lock is taken only on this failure path.
  static std::mutex mtx;
  static auto window_start = std::chrono::steady_clock::time_point{};
  static size_t lines = 0;
  static size_t suppressed = 0;
  std::lock_guard<std::mutex> guard{mtx};
  auto now = std::chrono::steady_clock::now();
  if (now - window_start >= std::chrono::seconds{1}) {
    if (suppressed > 0)
      spdlog::error("{} more hook failures were not logged", suppressed);
    window_start = now;
    lines = 0;
    suppressed = 0;
  }
  if (++lines > lines_per_second) {
    ++suppressed;
    return;
  }
  spdlog::error("hook {} threw for '{}': {}", hook, key, what);
}

} // namespace ooo::storage

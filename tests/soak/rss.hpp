#pragma once

#include <chrono>
#include <cstddef>
#include <string>

namespace ooo::storage::soak {

/// The process's resident set size in bytes, from `/proc/self/statm` (0 if unreadable).
size_t rss_bytes();

/// Bytes as MiB, for reports.
double mib(size_t x);

/// Watches that memory stays bounded: RSS (minus the soak's own logs, which grow with the run
/// by design) must stay below 2 x its value at 20% of the run + 64 MiB.
class rss_monitor {
public:
  using time_point = std::chrono::steady_clock::time_point;

  /// `warm_at`: when the reference sample is taken (20% of the run).
  explicit rss_monitor(time_point warm_at);

  /// Takes one sample; `log_bytes`: what the soak's logs hold now.
  void sample(time_point now, size_t log_bytes);

  /// Records a failure if the bound was exceeded or the run ended before the reference sample.
  void check() const;

  size_t at_start() const {
    return start_;
  }

  /// The reference (minus logs), 0 before it was taken.
  size_t warm() const {
    return warm_;
  }

  size_t max() const {
    return max_;
  }

  size_t max_adjusted() const {
    return max_adjusted_;
  }

  size_t bound() const {
    return bound_;
  }

private:
  time_point warm_at_;
  size_t start_;
  size_t warm_ = 0;
  size_t max_ = 0;
  size_t max_adjusted_ = 0;
  size_t bound_ = 0;
  bool exceeded_ = false;
  std::string failure_;
};

} // namespace ooo::storage::soak

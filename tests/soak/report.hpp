#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>

#include "tests/soak/workload.hpp"

namespace ooo::storage::soak {

/// What a finished soak tells its reader (the summary on stdout).
struct soak_summary {
  double workload_seconds = 0;
  int threads = 0;
  uint64_t seed = 0;
  std::string dir;
  /// Per operation kind: how many ran and the slowest, in ms.
  std::array<uint64_t, k_count> counts{};
  std::array<double, k_count> max_ms{};
  uint64_t revisions = 0;
  uint64_t oracle_events = 0;
  uint64_t silent_deletes = 0;
  uint64_t conflicts = 0;
  uint64_t increments = 0;
  uint64_t oracle_resumes = 0;
  size_t transients = 0;
  uint64_t transient_events = 0;
  uint64_t transient_dropped = 0;
  uint64_t stalled_parked = 0;
  uint64_t stalled_dropped = 0;
  uint64_t store_dropped = 0;
  double slowest_dead_holder_ms = 0;
  size_t keys = 0;
  double restart_ms = 0;
  uint64_t history_after_restart = 0;
  size_t rss_start = 0;
  size_t rss_warm = 0;
  size_t rss_max = 0;
  size_t rss_max_adjusted = 0;
  size_t rss_bound = 0;
  size_t log_bytes = 0;
};

/// Prints the summary: a table of the operations, then the counters of every invariant.
void print_summary(const soak_summary& x);

} // namespace ooo::storage::soak

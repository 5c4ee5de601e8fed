#include "tests/soak/report.hpp"

#include <algorithm>
#include <cstdio>

#include "tests/soak/rss.hpp"
#include "tests/soak/soak_store.hpp"

namespace ooo::storage::soak {

namespace {

unsigned long long ull(uint64_t x) {
  return static_cast<unsigned long long>(x);
}

} // namespace

void print_summary(const soak_summary& x) {
  uint64_t total = 0;
  std::printf("\nooo-soak: %.1f s of workload, %d writer threads, %zu shards, durability async, "
              "seed %llu, data dir %s\n\n",
              x.workload_seconds, x.threads, soak_shards, ull(x.seed), x.dir.c_str());
  std::printf("| operation | count | ops/s | slowest |\n|---|---|---|---|\n");
  double slowest = 0;
  for (size_t k = 0; k < k_count; ++k) {
    total += x.counts[k];
    slowest = std::max(slowest, x.max_ms[k]);
    std::printf("| %s | %llu | %.0f | %.1f ms |\n", kind_names[k], ull(x.counts[k]),
                static_cast<double>(x.counts[k]) / x.workload_seconds, x.max_ms[k]);
  }
  std::printf("| **all** | %llu | %.0f | %.1f ms |\n\n", ull(total),
              static_cast<double>(total) / x.workload_seconds, slowest);
  std::printf("revisions: %llu (%llu events, %llu silent deletes); CAS conflicts (expected): "
              "%llu; counter increments under lock: %llu\n",
              ull(x.revisions), ull(x.oracle_events), ull(x.silent_deletes), ull(x.conflicts),
              ull(x.increments));
  std::printf("oracle (lossless, */*/*): %llu events, %llu resumes; %zu transient subscribers: "
              "%llu events, %llu dropped (announced)\n",
              ull(x.oracle_events), ull(x.oracle_resumes), x.transients, ull(x.transient_events),
              ull(x.transient_dropped));
  std::printf("stalled subscriber: %llu events parked, %llu dropped; store dropped_events "
              "total: %llu\n",
              ull(x.stalled_parked), ull(x.stalled_dropped), ull(x.store_dropped));
  std::printf("dead lock holders: %llu, slowest write behind one: %.1f ms\n",
              ull(x.counts[k_dead_holder]), x.slowest_dead_holder_ms);
  std::printf("keys at the end: %zu; restart (open + load + start): %.0f ms; history after "
              "restart: %llu events\n",
              x.keys, x.restart_ms, ull(x.history_after_restart));
  std::printf("RSS: start %.1f MiB, at 20%% %.1f MiB (minus logs), max %.1f MiB (%.1f minus "
              "logs), bound %.1f MiB; the soak's own logs %.1f MiB\n",
              mib(x.rss_start), mib(x.rss_warm), mib(x.rss_max), mib(x.rss_max_adjusted),
              mib(x.rss_bound), mib(x.log_bytes));
  std::fflush(stdout);
}

} // namespace ooo::storage::soak

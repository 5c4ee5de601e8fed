#pragma once

// Shared pieces of `ooo-bench`: the run's settings, the result table, timing and percentile
// helpers, and the section entry points (store_sections.cpp: 1-3, persistence_sections.cpp:
// 4-5, fan_out_section.cpp: 6, memory_section.cpp: 7).

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "caf/actor_system_config.hpp"

namespace ooo::storage::bench {

/// What one run measures and how big. `quick()` shrinks everything for the ctest smoke test.
struct settings {
  std::set<int> sections{1, 2, 3, 4, 5, 6, 7};
  /// Section 1: operations per pipelined (64 requesters) row; sequential rows use a tenth.
  size_t ops = 200000;
  /// Section 1 (and the throughput column of 2, and 4): client actors x requests in flight
  /// per client = concurrent requesters.
  size_t clients = 8;
  size_t window = 8;
  /// Section 1: shard counts to try.
  std::vector<size_t> shard_counts{1, 2, 4, 8};
  /// Section 1 runs only the pipelined set load (first shard count, no baseline, one run):
  /// the load `bench/profile.sh` records with perf.
  bool pipelined_set_only = false;
  /// Sections 1 and 4: runs per row (a fresh store each); the best one counts.
  size_t reps = 2;
  /// Section 2: sequential facade gets per scheduler configuration.
  size_t facade_gets = 20000;
  /// Section 3: keys under `users/`, the size of the big store, queries per store.
  size_t list_users = 100000;
  size_t list_big = 1000000;
  size_t list_queries = 300;
  /// Section 4: writes per row in sync and async mode (raw (c) uses `async_ops`).
  size_t sync_ops = 20000;
  size_t async_ops = 100000;
  /// Section 5: records on disk.
  size_t startup_keys = 1000000;
  /// Section 6: subscriber counts, and events per row (writes = events / subscribers, within
  /// [min, max] writes).
  std::vector<size_t> fanout_subscribers{1, 100, 1000};
  size_t fanout_events = 2000000;
  size_t fanout_min_writes = 200;
  size_t fanout_max_writes = 50000;
  /// Section 7: key counts and value sizes of the memory table.
  std::vector<size_t> memory_counts{100000, 1000000};
  std::vector<size_t> memory_value_sizes{16, 64, 1024};
  /// Sections 6 and 7: the Redis server of the same-run baselines (a child process on a free
  /// loopback port); empty or not found: those rows are left out, saying so.
  std::string redis_server = "redis-server";
  /// Section 7: `ooo-storaged` for the node row and `ooo-memory-probe` for the store rows
  /// (default: the build tree's, found from this program's own path).
  std::string node_binary;
  std::string probe_binary;
  /// Shards of the stores of sections 2-7 (0: the store's default, one per hardware thread).
  size_t shards = 0;
  /// Scheduler configuration for sections 1, 3, 4, 5 (section 2 tries all of them).
  std::string scheduler = "default";
  /// Where the temporary RocksDB directories go (removed afterwards).
  std::string tmp = "/tmp";
  /// 64-byte values everywhere.
  size_t value_size = 64;

  void quick();
};

/// The scheduler configurations section 2 compares; `apply_scheduler` knows their knobs.
const std::vector<std::string>& scheduler_names();

/// One line of explanation per configuration, for the report.
std::string scheduler_knobs(const std::string& name);

/// Sets the CAF options of configuration `name` on `cfg`. Returns false for an unknown name.
bool apply_scheduler(caf::actor_system_config& cfg, const std::string& name);

/// Builds a config with the store's types registered and scheduler `name` applied.
std::unique_ptr<caf::actor_system_config> make_config(const std::string& name);

/// One measured number against its baseline and aim.
struct row {
  std::string section;
  std::string name;
  double value = 0;
  /// `ops/s`, `us`, `ms`, `B/key`, or `x` (a plain factor).
  std::string unit;
  std::string baseline_name;
  double baseline = 0;
  /// Aim as text (`>= 0.4x`, `<= 20 us`); empty when there is none.
  std::string aim;
  /// Whether the aim is met; ignored without aim.
  bool met = false;
  /// Free text (group-commit size, shard count, ...).
  std::string note;
  /// False for a row whose result cannot be measured yet (it prints `-` and "not measured"):
  /// it keeps its place in the table.
  bool measured = true;
};

/// Collects rows and prints each as soon as it is added, as a Markdown table.
class table {
public:
  void add(row x);

  /// Prints every row with an aim again, as the summary.
  void print_summary() const;

  const std::vector<row>& rows() const {
    return rows_;
  }

private:
  void print_header() const;
  void print(const row& x) const;

  std::vector<row> rows_;
  bool header_printed_ = false;
};

using clock_type = std::chrono::steady_clock;

inline double seconds_since(clock_type::time_point t0) {
  return std::chrono::duration<double>(clock_type::now() - t0).count();
}

inline double micros_since(clock_type::time_point t0) {
  return std::chrono::duration<double, std::micro>(clock_type::now() - t0).count();
}

/// The `q` quantile (0..1) of `xs` (sorted in place).
inline double quantile(std::vector<double>& xs, double q) {
  if (xs.empty())
    return 0;
  std::sort(xs.begin(), xs.end());
  auto i = static_cast<size_t>(q * static_cast<double>(xs.size()));
  return xs[std::min(i, xs.size() - 1)];
}

/// The median of a few repetitions.
inline double median(std::vector<double> xs) {
  return quantile(xs, 0.5);
}

/// Formats a number for the table: ops/s with thousands as `k`, latencies with one decimal.
std::string format_value(double x, const std::string& unit);

/// Prints a progress line to stderr (the table goes to stdout).
void progress(const std::string& what);

void run_store_throughput(const settings& s, table& t);
void run_facade_latency(const settings& s, table& t);
void run_list_latency(const settings& s, table& t);
void run_persistence_throughput(const settings& s, table& t);
void run_startup(const settings& s, table& t);
void run_fan_out(const settings& s, table& t);
void run_memory(const settings& s, table& t);

} // namespace ooo::storage::bench

#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <random>
#include <string>

#include "caf/scoped_actor.hpp"

#include "actors/layered.hpp"
#include "tests/soak/key_model.hpp"

namespace ooo::storage::soak {

/// The operations of the workload.
enum kind : size_t {
  k_set,
  k_get,
  k_push,
  k_del,
  k_del_silent,
  k_glob_del,
  k_list,
  k_lock_cycle,
  k_get_and_lock,
  k_counter,
  k_cas,
  k_dead_holder,
  k_count
};

/// The name of each operation, for the summary and progress reports.
extern const char* kind_names[k_count];

/// A writer thread of the workload: it owns the keys `s<t>/...`, runs a random mix of every
/// operation on them (plus increments of the shared counter under the store's lock), checks
/// each answer against its model on the spot and keeps the model up to date.
class writer {
public:
  writer(int t, layered& store, uint64_t seed);

  /// Runs operations until `deadline` or the first violated invariant.
  void run(std::chrono::steady_clock::time_point deadline);

  /// What the thread's keys hold and the changes it made.
  key_model model;
  std::array<uint64_t, k_count> counts{};
  /// The slowest operation of each kind, in milliseconds.
  std::array<double, k_count> max_ms{};
  /// For progress reports: operations done, and the one running (kind, start in ns; 0: none).
  std::atomic<uint64_t> done{0};
  std::atomic<int> current_kind{0};
  std::atomic<int64_t> op_started_ns{0};
  /// Increments of the shared counter this thread made.
  uint64_t increments = 0;
  /// Compare-and-set writes with a stale revision that lost, as they must.
  uint64_t conflicts = 0;
  double max_dead_holder_release_ms = 0;

private:
  std::string group_key(uint64_t g, uint64_t i);
  std::string random_key();
  bytes data();
  bool ok(bool cond, const std::string& what);

  void do_set();
  void do_get();
  void do_push();
  void do_del(bool silent);
  void glob_del(const std::string& pattern);
  void do_glob_del();
  void do_list();
  void do_lock_cycle();
  void set_and_unlock(const std::string& key, const bytes& value);
  void do_get_and_lock();
  void do_counter();
  void do_cas();
  void do_dead_holder();

  int t_;
  std::string prefix_;
  layered& store_;
  std::mt19937_64 rng_;
  caf::scoped_actor* self_ = nullptr;
  uint64_t n_ = 0;
  uint64_t pushed_ = 0;
};

} // namespace ooo::storage::soak

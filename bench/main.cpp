// ooo-bench: throughput and latency of the store against plain baselines measured in the same
// run. See bench/README.md for what each section measures and the numbers of the last run.

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "caf/atom.hpp"
#include "caf/timestamp.hpp"

#include "bench/bench.hpp"
#include "bench/command_line.hpp"
#include "messages/register_types.hpp"

namespace ooo::storage::bench {

// -- settings ----------------------------------------------------------------------------------

void settings::quick() {
  ops = 20000;
  shard_counts = {1, 4};
  reps = 1;
  facade_gets = 2000;
  list_users = 10000;
  list_big = 100000;
  list_queries = 100;
  sync_ops = 2000;
  async_ops = 10000;
  startup_keys = 50000;
  fanout_events = 20000;
  fanout_min_writes = 20;
  fanout_max_writes = 5000;
  // The memory section only shows that it works here: a few thousand keys say nothing about
  // bytes per key, and a million would take minutes.
  memory_counts = {5000};
  memory_value_sizes = {64};
}

// -- scheduler configurations ------------------------------------------------------------------

const std::vector<std::string>& scheduler_names() {
  static const std::vector<std::string> names{"default",  "sharing",         "ws-relaxed",
                                              "ws-relaxed-1ms", "ws-spin", "ws-spin-relaxed",
                                              "ws-spin-1-worker"};
  return names;
}

std::string scheduler_knobs(const std::string& name) {
  if (name == "default")
    return "work stealing, CAF defaults (100 spins, then 500 polls with 50 us sleeps, then a "
           "10 ms condition-variable wait)";
  if (name == "sharing")
    return "scheduler.policy=sharing (one shared job queue, workers wait on a condition "
           "variable)";
  if (name == "ws-relaxed")
    return "work-stealing.moderate-poll-attempts=0 (idle workers skip the 50 us sleeps and "
           "wait on the condition variable that an enqueue from outside notifies)";
  if (name == "ws-relaxed-1ms")
    return "ws-relaxed + work-stealing.relaxed-sleep-duration=1ms (sleeping workers look for "
           "work to steal every 1 ms instead of 10 ms)";
  if (name == "ws-spin")
    return "work-stealing.aggressive-poll-attempts=100000 (idle workers spin much longer "
           "before sleeping)";
  if (name == "ws-spin-relaxed")
    return "ws-spin + ws-relaxed (spin long, then wait on the condition variable; no 50 us "
           "sleeps)";
  if (name == "ws-spin-1-worker")
    return "ws-spin + scheduler.max-threads=1 (one worker spins on one core, leaving the other "
           "to the calling thread)";
  return "?";
}

bool apply_scheduler(caf::actor_system_config& cfg, const std::string& name) {
  using namespace std::chrono_literals;
  if (name == "default")
    return true;
  if (name == "sharing") {
    cfg.set("scheduler.policy", caf::atom("sharing"));
    return true;
  }
  if (name == "ws-relaxed" || name == "ws-relaxed-1ms") {
    cfg.set("work-stealing.moderate-poll-attempts", int64_t{0});
    if (name == "ws-relaxed-1ms")
      cfg.set("work-stealing.relaxed-sleep-duration", caf::timespan{1ms});
    return true;
  }
  if (name == "ws-spin" || name == "ws-spin-relaxed" || name == "ws-spin-1-worker") {
    cfg.set("work-stealing.aggressive-poll-attempts", int64_t{100000});
    if (name == "ws-spin-relaxed")
      cfg.set("work-stealing.moderate-poll-attempts", int64_t{0});
    if (name == "ws-spin-1-worker")
      cfg.set("scheduler.max-threads", int64_t{1});
    return true;
  }
  return false;
}

std::unique_ptr<caf::actor_system_config> make_config(const std::string& name) {
  auto cfg = std::make_unique<caf::actor_system_config>();
  register_types(*cfg);
  if (!apply_scheduler(*cfg, name))
    throw std::runtime_error("unknown scheduler configuration: " + name);
  return cfg;
}

// -- table -------------------------------------------------------------------------------------

std::string format_value(double x, const std::string& unit) {
  char buf[64];
  if (unit == "ops/s") {
    if (x >= 1e6)
      std::snprintf(buf, sizeof(buf), "%.2fM ops/s", x / 1e6);
    else
      std::snprintf(buf, sizeof(buf), "%.1fk ops/s", x / 1e3);
  } else if (unit == "B/key") {
    std::snprintf(buf, sizeof(buf), "%.0f B/key", x);
  } else if (unit == "x") {
    std::snprintf(buf, sizeof(buf), "%.1f", x);
  } else {
    std::snprintf(buf, sizeof(buf), x >= 100 ? "%.0f %s" : "%.1f %s", x, unit.c_str());
  }
  return buf;
}

void table::add(row x) {
  if (!header_printed_) {
    print_header();
    header_printed_ = true;
  }
  print(x);
  rows_.push_back(std::move(x));
}

void table::print_header() const {
  std::cout << "| § | benchmark | result | baseline | baseline result | ratio | aim | met | note |\n"
            << "|---|---|---|---|---|---|---|---|---|\n";
}

void table::print(const row& x) const {
  std::ostringstream out;
  char ratio[32] = "";
  if (!x.measured)
    std::snprintf(ratio, sizeof(ratio), "-");
  else if (x.baseline > 0)
    std::snprintf(ratio, sizeof(ratio), "%.2f", x.value / x.baseline);
  auto result = x.measured ? format_value(x.value, x.unit) : std::string{"-"};
  out << "| " << x.section << " | " << x.name << " | " << result << " | "
      << x.baseline_name << " | "
      << (x.baseline > 0 ? format_value(x.baseline, x.unit) : std::string{}) << " | " << ratio
      << " | " << x.aim << " | "
      << (x.aim.empty() ? "" : (!x.measured ? "not measured" : (x.met ? "yes" : "**no**")))
      << " | "
      << x.note << " |\n";
  std::cout << out.str() << std::flush;
}

void table::print_summary() const {
  std::cout << "\nAims:\n\n";
  bool any = false;
  for (auto& x : rows_) {
    if (x.aim.empty())
      continue;
    if (!any) {
      print_header();
      any = true;
    }
    print(x);
  }
}

void progress(const std::string& what) {
  std::cerr << "-- " << what << std::endl;
}

} // namespace ooo::storage::bench

int main(int argc, char** argv) {
  using namespace ooo::storage::bench;
  settings s;
  if (auto rc = parse_command_line(argc, argv, s))
    return *rc;
  std::cout << "ooo-bench: " << std::thread::hardware_concurrency()
            << " hardware threads, scheduler '" << s.scheduler << "', " << s.clients
            << " clients x " << s.window << " in flight = " << s.clients * s.window
            << " concurrent requesters, " << s.value_size << "-byte values\n\n";
  table t;
  auto t0 = clock_type::now();
  try {
    if (s.sections.count(1))
      run_store_throughput(s, t);
    if (s.sections.count(2))
      run_facade_latency(s, t);
    if (s.sections.count(3))
      run_list_latency(s, t);
    if (s.sections.count(4))
      run_persistence_throughput(s, t);
    if (s.sections.count(5))
      run_startup(s, t);
    if (s.sections.count(6))
      run_fan_out(s, t);
    if (s.sections.count(7))
      run_memory(s, t);
  } catch (const std::exception& e) {
    std::cerr << "ooo-bench: " << e.what() << "\n";
    return 1;
  }
  t.print_summary();
  std::cout << "\ntotal time: " << format_value(seconds_since(t0), "s") << "\n";
  return 0;
}

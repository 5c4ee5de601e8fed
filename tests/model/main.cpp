// ooo-model-check: runs random workloads against the store, records every request, answer,
// commit and event, and checks the history against the store's promises (tests/model/README.md).

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <random>

#include "CLI/CLI.hpp"
#include "spdlog/spdlog.h"

#include "tests/model/run.hpp"

using namespace ooo::storage::model;

namespace {

/// Prints a failing run: its seed, how to replay it, and the smallest history of each of the
/// first violations.
void print_failure(const run_options& ro, const run_result& r, const std::string& replay,
                   size_t show) {
  std::cout << "FAIL " << ro.describe() << "\n";
  std::cout << "  replay: " << replay << "\n";
  size_t shown = 0;
  for (auto& v : r.violations) {
    if (shown++ == show) {
      std::cout << "  ... and " << (r.violations.size() - show) << " more violation(s)\n";
      break;
    }
    std::cout << "  [" << v.rule << "] " << v.detail << "\n";
    auto lines = minimal_history(r.input, v);
    if (!lines.empty())
      std::cout << "  history of " << (v.key.empty() ? std::string{"the ops involved"} : v.key)
                << ":\n"
                << lines;
  }
  std::cout << std::flush;
}

} // namespace

int main(int argc, char** argv) {
  CLI::App app{"Checks the store's histories under random concurrent workloads"};
  uint64_t seed = 0;
  double seconds = 10;
  std::string mode = "all";
  bool faults = true;
  bool hooks = true;
  bool timeouts = true;
  int ops = 0;
  double thread_share = 0.25;
  std::string dir;
  size_t show = 5;
  app.add_option("--show", show, "violations to print per failing run");
  app.add_option("--seed", seed, "replay this seed only (0: random seeds for --seconds)");
  app.add_option("--seconds", seconds, "how long to run new seeds");
  app.add_option("--mode", mode, "sim (deterministic scheduler), threads, or all")
    ->check(CLI::IsMember({"sim", "threads", "all"}));
  app.add_option("--faults", faults, "let persistence refuse writes in some runs");
  app.add_option("--hooks", hooks, "install throwing hooks in some runs");
  app.add_option("--timeouts", timeouts, "let lock leases run out in some runs");
  app.add_option("--ops", ops, "requests per pipelining client (0: drawn from the seed)");
  app.add_option("--thread-share", thread_share,
                 "share of --seconds spent on real threads in mode all");
  app.add_option("--dir", dir, "RocksDB directory for thread runs (default: a temporary one)");
  CLI11_PARSE(app, argc, argv);
  // The workloads make hooks throw on purpose; the store logs each throw, which would bury
  // the report. The checker judges the answers (`hook_failed`), not the log.
  spdlog::set_level(spdlog::level::off);

  auto configure = [&](uint64_t s) {
    auto ro = run_options::derive(s, faults, hooks, timeouts);
    if (ops > 0)
      ro.load.ops_per_pipeliner = ops;
    return ro;
  };
  auto replay_line = [&](const std::string& m, uint64_t s) {
    std::string line = std::string{argv[0]} + " --mode " + m + " --seed " + std::to_string(s);
    if (!faults)
      line += " --faults 0";
    if (!hooks)
      line += " --hooks 0";
    if (!timeouts)
      line += " --timeouts 0";
    if (ops > 0)
      line += " --ops " + std::to_string(ops);
    return line;
  };
  if (seed != 0) {
    auto ro = configure(seed);
    auto r = mode == "threads" ? run_threads(ro, seconds, dir) : run_simulation(ro);
    if (!r.violations.empty()) {
      print_failure(ro, r, replay_line(mode == "threads" ? "threads" : "sim", seed), show);
      return 1;
    }
    std::cout << "ok " << ro.describe() << ": " << r.input.ops.size() << " requests, "
              << r.input.commits.size() << " commits, " << r.steps << " steps\n";
    return 0;
  }
  std::random_device entropy;
  std::mt19937_64 seeds{(uint64_t{entropy()} << 32) ^ entropy()};
  auto started = std::chrono::steady_clock::now();
  auto elapsed = [&] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  };
  auto sim_seconds = mode == "sim" ? seconds : mode == "threads" ? 0 : seconds * (1 - thread_share);
  size_t runs = 0, requests = 0, commits = 0;
  while (elapsed() < sim_seconds) {
    auto s = seeds() | 1;
    auto ro = configure(s);
    auto r = run_simulation(ro);
    ++runs;
    requests += r.input.ops.size();
    commits += r.input.commits.size();
    if (!r.violations.empty()) {
      print_failure(ro, r, replay_line("sim", s), show);
      return 1;
    }
  }
  if (runs > 0)
    std::cout << "ok: " << runs << " simulated runs, " << requests << " requests, " << commits
              << " commits checked in " << elapsed() << " s\n";
  if (mode == "sim")
    return 0;
  auto thread_seconds = seconds - elapsed();
  size_t thread_runs = 0;
  while (thread_runs == 0 || elapsed() < seconds) {
    auto s = seeds() | 1;
    auto ro = configure(s);
    auto budget = std::max(2.0, std::min(thread_seconds, 10.0));
    auto r = run_threads(ro, budget, dir);
    ++thread_runs;
    if (!r.violations.empty()) {
      print_failure(ro, r, replay_line("threads", s) + " --seconds " + std::to_string(budget), show);
      return 1;
    }
    std::cout << "ok threads " << ro.describe() << ": " << r.input.ops.size() << " requests, "
              << r.input.commits.size() << " commits\n";
  }
  std::cout << std::flush;
  return 0;
}

#include "bench/command_line.hpp"

#include <string_view>

#include <CLI/CLI.hpp>

namespace ooo::storage::bench {

std::optional<int> parse_command_line(int argc, char** argv, settings& s) {
  // --quick shrinks every size before the options are read, so that a size given next to it
  // wins whatever the order on the command line (CLI11 writes only the options it was given).
  for (int i = 1; i < argc; ++i)
    if (std::string_view{argv[i]} == "--quick")
      s.quick();
  CLI::App app{"ooo-bench: the store against plain baselines measured in the same run; "
               "progress on stderr, a Markdown table on stdout (bench/README.md)",
               "ooo-bench"};
  app.add_flag("--quick", "tiny sizes (the bench_quick smoke test, well under a minute)");
  std::vector<int> sections;
  app.add_option("--section,--sections", sections,
                 "comma-separated sections to run (default all): 1 memory set/get throughput, "
                 "2 facade get latency, 3 get_n latency, 4 persistence throughput, "
                 "5 start-up, 6 event fan-out, 7 memory per key")
    ->delimiter(',')
    ->check(CLI::Range(1, 7));
  app.add_option("--ops", s.ops, "section 1: requests per pipelined row")
    ->check(CLI::PositiveNumber)
    ->capture_default_str();
  app.add_option("--clients", s.clients, "client actors; concurrent requesters = clients x window")
    ->check(CLI::PositiveNumber)
    ->capture_default_str();
  app.add_option("--window", s.window, "requests in flight per client actor")
    ->check(CLI::PositiveNumber)
    ->capture_default_str();
  app.add_option("--shard-counts", s.shard_counts, "section 1: shard counts")
    ->delimiter(',')
    ->check(CLI::PositiveNumber)
    ->capture_default_str();
  app.add_flag("--pipelined-set-only", s.pipelined_set_only,
               "section 1: only the pipelined set load, on the first shard count, without "
               "baseline or repetition, then exits at once (what bench/profile.sh records)");
  app.add_option("--reps", s.reps, "sections 1, 4, 6: runs per row, the best counts")
    ->check(CLI::PositiveNumber)
    ->capture_default_str();
  app.add_option("--shards", s.shards, "sections 2-7: store shards (0: the store's default)")
    ->capture_default_str();
  app.add_option("--facade-gets", s.facade_gets,
                 "section 2: sequential gets per scheduler configuration")
    ->check(CLI::PositiveNumber)
    ->capture_default_str();
  app.add_option("--list-users", s.list_users, "section 3: keys under users/")
    ->check(CLI::PositiveNumber)
    ->capture_default_str();
  app.add_option("--list-big", s.list_big, "section 3: keys of the big store")
    ->check(CLI::PositiveNumber)
    ->capture_default_str();
  app.add_option("--sync-ops", s.sync_ops, "section 4: writes in sync mode")
    ->check(CLI::PositiveNumber)
    ->capture_default_str();
  app.add_option("--async-ops", s.async_ops, "section 4: writes in async mode")
    ->check(CLI::PositiveNumber)
    ->capture_default_str();
  app.add_option("--keys", s.startup_keys, "section 5: records to load at start-up")
    ->check(CLI::PositiveNumber)
    ->capture_default_str();
  app.add_option("--fanout-events", s.fanout_events, "section 6: events per row")
    ->check(CLI::PositiveNumber)
    ->capture_default_str();
  app.add_option("--memory-counts", s.memory_counts, "section 7: key counts")
    ->delimiter(',')
    ->check(CLI::PositiveNumber)
    ->capture_default_str();
  app.add_option("--memory-value-sizes", s.memory_value_sizes, "section 7: value sizes in bytes")
    ->delimiter(',')
    ->check(CLI::PositiveNumber)
    ->capture_default_str();
  app.add_option("--redis-server", s.redis_server,
                 "sections 6, 7: the redis-server program of the baselines (empty: leave the "
                 "Redis rows out)")
    ->capture_default_str();
  app.add_option("--node-binary", s.node_binary,
                 "section 7: ooo-storaged (default: the build tree's apps/ooo-storaged)");
  app.add_option("--probe-binary", s.probe_binary,
                 "section 7: ooo-memory-probe (default: next to this program)");
  app.add_option("--scheduler", s.scheduler,
                 "sections 1, 3, 4, 5, 6: CAF scheduler configuration (section 2 compares all)")
    ->check(CLI::IsMember(scheduler_names()))
    ->capture_default_str();
  app.add_option("--tmp", s.tmp, "parent of the temporary RocksDB directories")
    ->check(CLI::ExistingDirectory)
    ->capture_default_str();
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    auto rc = app.exit(e);
    return rc == 0 ? 0 : 2;
  }
  if (!sections.empty())
    s.sections = std::set<int>(sections.begin(), sections.end());
  if (s.shard_counts.empty())
    s.shard_counts = {1};
  return std::nullopt;
}

} // namespace ooo::storage::bench

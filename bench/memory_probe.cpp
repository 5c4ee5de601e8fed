// ooo-memory-probe: what a store holding N keys costs in memory, measured in a process of its
// own so that nothing else the bench did before is in the numbers. `ooo-bench` section 7 runs
// it; it can be run by hand too.
//
//   ooo-memory-probe fill  --keys N --value-size S [--history-events E] [--shards K]
//       memory mode: baseline, then N sets of new keys users/0 .. users/N-1 (64 requesters,
//       each value its own buffer), then the same measures again
//   ooo-memory-probe write --keys N --value-size S --dir D
//       the same sets into a store on RocksDB (async) in D; then close
//   ooo-memory-probe load  --keys N --dir D
//       baseline, then open D and start a store that loads it, then the same measures again
//
// fill and load print one line:
//   memory keys=N rss_before=B rss_after=B heap_before=B heap_after=B seconds=S
// rss: the resident set (/proc/self/statm); heap: malloc's bytes in use (mallinfo2). The
// baseline is taken with the actor system running and, for fill, the store started and the
// key strings of the client already made. Exit code 0, or 1 with the reason on stderr.

#include <cstdio>
#include <iostream>
#include <optional>
#include <stdexcept>
#include <string>

#include <CLI/CLI.hpp>

#include "caf/actor_system.hpp"

#include "actors/options.hpp"
#include "bench/bench.hpp"
#include "bench/load.hpp"
#include "bench/process_memory.hpp"
#include "messages/errc.hpp"
#include "messages/register_types.hpp"
#include "persistence/rocksdb_adapter.hpp"

namespace {

using namespace ooo::storage;
using namespace ooo::storage::bench;

struct probe_settings {
  size_t keys = 100000;
  size_t value_size = 64;
  std::optional<size_t> history_events;
  size_t shards = 0;
  std::string dir;
};

/// CAF's default configuration with the store's types: the shipped defaults of a program that
/// embeds the store.
struct system_config : caf::actor_system_config {
  system_config() {
    register_types(*this);
  }
};

struct sample {
  size_t rss = 0;
  size_t heap = 0;
};

sample take_sample() {
  return {rss_bytes(), heap_in_use_bytes()};
}

void print(size_t keys, const sample& before, const sample& after, double seconds) {
  std::printf("memory keys=%zu rss_before=%zu rss_after=%zu heap_before=%zu heap_after=%zu "
              "seconds=%.3f\n",
              keys, before.rss, after.rss, before.heap, after.heap, seconds);
  std::fflush(stdout);
}

/// Sets `users/0` .. `users/N-1` from 8 clients x 8 in flight, each value its own buffer.
void fill(caf::actor_system& sys, const store_actor& store,
          const std::shared_ptr<const std::vector<std::string>>& keys, size_t value_size) {
  auto r = drive(sys, store, keys, op_kind::set, make_value(value_size), 8, 8, true);
  if (r.errors != 0)
    throw std::runtime_error(std::to_string(r.errors) + " sets failed");
}

void check_count(caf::actor_system& sys, const store_actor& store, size_t expected) {
  auto stats = fetch_stats(sys, store);
  if (stats.keys != expected)
    throw std::runtime_error("the store holds " + std::to_string(stats.keys) + " keys, not "
                             + std::to_string(expected));
}

store_config config_of(const probe_settings& p) {
  store_config sc;
  sc.opts.shards = p.shards;
  if (p.history_events)
    sc.opts.history_events = *p.history_events;
  return sc;
}

int run_fill(const probe_settings& p) {
  system_config cfg;
  caf::actor_system sys{cfg};
  auto store = start_store(sys, config_of(p));
  auto keys = make_keys("users/", p.keys);
  auto before = take_sample();
  auto t0 = clock_type::now();
  fill(sys, store, keys, p.value_size);
  check_count(sys, store, p.keys);
  auto seconds = seconds_since(t0);
  auto after = take_sample();
  print(p.keys, before, after, seconds);
  stop_store(sys, store);
  return 0;
}

int run_write(const probe_settings& p) {
  system_config cfg;
  caf::actor_system sys{cfg};
  auto opened = rocksdb_adapter::open(p.dir, durability::async);
  if (!opened)
    throw std::runtime_error(render(opened.error()));
  auto sc = config_of(p);
  sc.mode = durability::async;
  sc.persistent = std::move(*opened);
  auto store = start_store(sys, std::move(sc));
  fill(sys, store, make_keys("users/", p.keys), p.value_size);
  check_count(sys, store, p.keys);
  stop_store(sys, store);
  std::printf("written keys=%zu\n", p.keys);
  return 0;
}

int run_load(const probe_settings& p) {
  system_config cfg;
  caf::actor_system sys{cfg};
  auto before = take_sample();
  auto t0 = clock_type::now();
  auto opened = rocksdb_adapter::open(p.dir, durability::async);
  if (!opened)
    throw std::runtime_error(render(opened.error()));
  auto sc = config_of(p);
  sc.mode = durability::async;
  sc.persistent = std::move(*opened);
  auto store = start_store(sys, std::move(sc));
  check_count(sys, store, p.keys);
  auto seconds = seconds_since(t0);
  auto after = take_sample();
  print(p.keys, before, after, seconds);
  stop_store(sys, store);
  return 0;
}

} // namespace

int main(int argc, char** argv) {
  probe_settings p;
  CLI::App app{"ooo-memory-probe: the memory a store holding N keys costs, in a fresh process",
               "ooo-memory-probe"};
  app.require_subcommand(1);
  auto add_common = [&](CLI::App* cmd, bool with_value) {
    cmd->add_option("--keys", p.keys, "keys users/0 .. users/N-1")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
    if (with_value)
      cmd->add_option("--value-size", p.value_size, "bytes per value")
        ->check(CLI::PositiveNumber)
        ->capture_default_str();
    cmd->add_option("--shards", p.shards, "store shards (0: the store's default)")
      ->capture_default_str();
    cmd->add_option("--history-events", p.history_events,
                    "events the store retains (default: the store's default)");
  };
  auto* fill_cmd = app.add_subcommand("fill", "memory mode: sets, measured before and after");
  add_common(fill_cmd, true);
  auto* write_cmd = app.add_subcommand("write", "the same sets into RocksDB (async) in --dir");
  add_common(write_cmd, true);
  write_cmd->add_option("--dir", p.dir, "RocksDB directory")->required();
  auto* load_cmd = app.add_subcommand("load", "start a store on --dir, measured around it");
  add_common(load_cmd, false);
  load_cmd->add_option("--dir", p.dir, "RocksDB directory")->required()->check(
    CLI::ExistingDirectory);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    auto rc = app.exit(e);
    return rc == 0 ? 0 : 2;
  }
  try {
    if (fill_cmd->parsed())
      return run_fill(p);
    if (write_cmd->parsed())
      return run_write(p);
    return run_load(p);
  } catch (const std::exception& e) {
    std::cerr << "ooo-memory-probe: " << e.what() << std::endl;
    return 1;
  }
}

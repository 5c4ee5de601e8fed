#include "tests/soak/soak_config.hpp"

#include <CLI/CLI.hpp>

namespace ooo::storage::soak {

std::optional<int> parse_command_line(int argc, char** argv, soak_config& cfg) {
  CLI::App app{"ooo-soak: a mixed workload against a RocksDB-backed store, then its invariants"};
  app.add_option("--duration", cfg.duration, "seconds of mixed workload")
    ->check(CLI::PositiveNumber)
    ->capture_default_str();
  app.add_option("--data-dir", cfg.data_dir,
                 "RocksDB directory, created if missing, must be empty (default: a temporary "
                 "directory, removed at the end)");
  app.add_option("--threads", cfg.threads, "writer threads")
    ->check(CLI::Range(1, 200))
    ->capture_default_str();
  app.add_option("--seed", cfg.seed, "random seed (default: from the clock; printed)");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    auto rc = app.exit(e);
    return rc == 0 ? 0 : 2;
  }
  return std::nullopt;
}

} // namespace ooo::storage::soak

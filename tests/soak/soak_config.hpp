#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace ooo::storage::soak {

/// The command line of `ooo-soak`.
struct soak_config {
  /// Seconds of mixed workload.
  double duration = 60;
  /// The RocksDB directory; empty: a temporary one, removed at the end.
  std::string data_dir;
  /// Writer threads.
  int threads = 4;
  /// The random seed (printed, so that a run can be repeated).
  uint64_t seed = 0;
};

/// Parses the command line into `cfg` (whose values are the defaults). Returns the exit code if
/// the program is done (0 after `--help`, 2 for bad usage, with the reason on stderr).
std::optional<int> parse_command_line(int argc, char** argv, soak_config& cfg);

} // namespace ooo::storage::soak

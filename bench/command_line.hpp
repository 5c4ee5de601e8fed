#pragma once

// ooo-bench's command line (CLI11): every size and knob of `settings`.

#include <optional>

#include "bench/bench.hpp"

namespace ooo::storage::bench {

/// Fills `s` from the command line. Returns the exit code when the program should stop here
/// (0 after `--help`, 2 for a bad option, with the message on stderr), nothing to go on.
std::optional<int> parse_command_line(int argc, char** argv, settings& s);

} // namespace ooo::storage::bench

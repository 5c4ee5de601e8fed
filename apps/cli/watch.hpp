#pragma once

#include "apps/cli/command_line.hpp"
#include "apps/cli/session.hpp"

namespace ooo::storage::cli {

/// `watch PATTERN [--since REV] [--count N]`: subscribes an actor of this process to the store
/// and prints one JSON event a line (flushed) until `--count` events arrived, SIGINT/SIGTERM
/// (exit 0), or the node goes away (exit 3). Call `interrupts::block()` before the session.
int run_watch(session& s, const command_line& cmd);

} // namespace ooo::storage::cli

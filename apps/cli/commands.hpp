#pragma once

#include "apps/cli/command_line.hpp"
#include "apps/cli/session.hpp"

namespace ooo::storage::cli {

/// Runs one request-reply command (everything but `watch`) against a connected session and
/// prints its result on stdout; returns the exit code.
int run_command(session& s, const command_line& cmd);

} // namespace ooo::storage::cli

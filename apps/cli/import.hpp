#pragma once

#include "apps/cli/command_line.hpp"
#include "apps/cli/session.hpp"

namespace ooo::storage::cli {

/// `import [FILE]`: reads JSON lines `{"key": "users/1", "data": ...}` (a JSON value, stored as
/// its compact text, or a string, stored as its bytes) from FILE or standard input and sets
/// them in batches of `--batch` (one message, one commit per shard each). Prints
/// `{"imported": N, "failed": M}`; a line that is not such an object stops the import before
/// anything of its batch is sent (exit 2, naming the line); a key the store refuses is
/// reported on stderr with its line and counted (exit 1 if any).
int run_import(session& s, const command_line& cmd);

} // namespace ooo::storage::cli

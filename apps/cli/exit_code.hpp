#pragma once

namespace ooo::storage::cli {

/// What `ooo-storage` exits with.
enum exit_code : int {
  /// The command succeeded.
  ok = 0,
  /// The store answered an error (printed as `error: NAME: detail`).
  store_error = 1,
  /// The command line is wrong.
  usage_error = 2,
  /// The node cannot be reached, or stopped answering.
  unreachable = 3,
};

} // namespace ooo::storage::cli

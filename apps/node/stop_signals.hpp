#pragma once

namespace ooo::storage {

/// Blocks SIGTERM and SIGINT in the calling thread. Call it first thing in `main`, before any
/// thread exists (CAF's, RocksDB's): threads inherit the mask, so the signals stay pending
/// until `wait_for_stop_signal` takes them, and no handler ever runs inside a CAF thread.
void block_stop_signals();

/// Waits until SIGTERM or SIGINT arrives; returns its name.
const char* wait_for_stop_signal();

} // namespace ooo::storage

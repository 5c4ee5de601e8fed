#pragma once

// What a process holds in memory: its resident set (what the machine pays) and, for this
// process, what malloc has handed out and not got back (what the program's data costs before
// the allocator's free lists and fragmentation).

#include <cstddef>

#include <sys/types.h>

namespace ooo::storage::bench {

/// Resident set size of process `pid` in bytes (this process for 0), from /proc/PID/statm.
/// Throws `std::runtime_error` if it cannot be read.
size_t rss_bytes(pid_t pid = 0);

/// Bytes malloc has handed out in this process and not got back: mallinfo2's `uordblks`
/// (every arena) plus `hblkhd` (blocks mmapped one by one).
size_t heap_in_use_bytes();

} // namespace ooo::storage::bench

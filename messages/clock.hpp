#pragma once

#include <cstdint>

namespace ooo::storage {

/// The node's write clock: nanoseconds since the Unix epoch that never go backwards and never
/// repeat, across all threads (the seed's monotonic clock). Every write takes its `created` or
/// `updated` timestamp, and every push its key, from here, so two writes never share one.
int64_t next_timestamp();

} // namespace ooo::storage

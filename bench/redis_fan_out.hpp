#pragma once

// The baseline of section 6's fan-out rows: Redis pub/sub in the same shape as the store's
// test. One publisher keeps `window` PUBLISHes in flight to channels `users/<i>`; `subscribers`
// connections have PSUBSCRIBEd `users/*`; receiver threads read them (poll) and count every
// message.

#include <cstddef>

#include "bench/redis_server.hpp"
#include "messages/object.hpp"

namespace ooo::storage::bench {

/// What one fan-out run measured.
struct fan_out_result {
  /// Messages delivered to all subscribers together, per second, from the first PUBLISH
  /// until the last subscriber read its last message.
  double delivered_per_second = 0;
  /// CPU of the redis-server process per delivered message, in microseconds.
  double server_cpu_us_per_message = 0;
  /// CPU of this process (publisher and receivers) per delivered message, in microseconds.
  double client_cpu_us_per_message = 0;
};

/// Publishes `writes` messages of `value` and waits until each of the `subscribers` got every
/// one; `receivers` threads share the subscriber connections. Throws if a PUBLISH did not reach all subscribers or a message is missing after 120 s.
fan_out_result redis_fan_out(const redis_server& server, size_t subscribers, size_t writes,
                             size_t window, size_t receivers, const bytes& value);

} // namespace ooo::storage::bench

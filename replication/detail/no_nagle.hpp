#pragma once

#include "replication/detail/raft_c.hpp"

namespace ooo::storage::replication::detail {

/// Makes the connections that `transport` (from `raft_uv_tcp_init`) opens to other servers
/// send at once (TCP_NODELAY). libraft 0.15 leaves Nagle's algorithm on: an entry written in
/// pieces then waits for the peer's delayed acknowledgement (40 ms on Linux) often enough to
/// make that the 99th percentile of a commit. Only the connecting side sends (libraft opens one
/// connection per direction), so only its sockets are changed. Call once, right after
/// `raft_uv_tcp_init`.
void send_without_delay(struct raft_uv_transport& transport);

} // namespace ooo::storage::replication::detail

#pragma once

#include <cstddef>
#include <cstdint>

#include "replication/detail/raft_c.hpp"

namespace ooo::storage::replication::detail {

/// The bytes of one command entry in libraft's log: an 8-byte little-endian payload length,
/// the payload, zero padding to a multiple of 8 bytes.
///
/// libraft 0.15's disk I/O requires every entry's length to be a multiple of 8 (an assert that
/// release builds drop: a shorter entry is written unpadded and the segment no longer loads,
/// "entries count ... in preamble is too high"). The length prefix gives the payload back.
constexpr size_t frame_header_size = 8;

/// A buffer from `raft_malloc` holding the framed payload (ownership goes to `raft_apply`),
/// or a null `base` when memory ran out.
raft_buffer frame(const char* data, size_t size);

/// Finds the payload inside a framed entry; false when `buf` is not a frame (too short, or a
/// length that exceeds it).
bool unframe(const raft_buffer& buf, const char*& data, size_t& size);

} // namespace ooo::storage::replication::detail

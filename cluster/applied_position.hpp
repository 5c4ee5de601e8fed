#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "caf/expected.hpp"

#include "cluster/log_entry.hpp"

namespace ooo::storage::cluster {

/// How far into the group's log a node's RocksDB goes, stored in the same write batch as the
/// changes of each applied entry (`adapter::write_replicated`): after a crash the node skips
/// what it applied already when libraft hands the log to it again, and a snapshot (a
/// checkpoint of that RocksDB) carries it to another node.
struct applied_position {
  /// The Raft index of the last entry applied.
  uint64_t index = 0;
  /// The revision of the last change applied (the store's revision counter).
  uint64_t revision = 0;
  /// The epoch of the latest `leader_entry` applied: write entries decided in another one are
  /// refused (see `write_entry`).
  epoch current;
  /// That leader's client address.
  std::string leader_address;
};

/// msgpack `[1, index, revision, term, node, leader_address]`.
std::string encode(const applied_position& x);

/// Decodes what `encode` produced; an empty input is the position of an empty store (index 0).
/// Anything else is `corrupt_record` naming what is wrong.
caf::expected<applied_position> decode_position(std::string_view bytes);

} // namespace ooo::storage::cluster

#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "caf/meta/type_name.hpp"

namespace ooo::storage::replication {

/// Identifies one replication group (one Raft log). A node may host several groups, each with
/// its own log, directory and port; every message of the replication protocol names one.
using group_id = uint64_t;

/// What a member does in its group (libraft's roles).
enum class member_role : uint8_t {
  /// Replicates the log and counts for quorum (elections and commits).
  voter = 1,
  /// Replicates the log but does not count for quorum (a voter-to-be catching up).
  standby = 0,
  /// Neither replicates nor votes: a placeholder (`add_member` creates members in this role).
  spare = 2,
};

/// Returns `voter`, `standby` or `spare`.
const char* to_string(member_role x);

/// Parses a name produced by `to_string`; returns false for anything else.
bool from_string(const std::string& name, member_role& x);

/// One server of a group's configuration.
struct member {
  /// The Raft server id: unique in the group and never 0. Ids are not reused after removal.
  uint64_t id = 0;
  /// Where its Raft transport listens, `HOST:PORT` (IPv4 or a resolvable name).
  std::string address;
  member_role role = member_role::voter;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, member& x) {
  return f(caf::meta::type_name("ooo::storage::replication::member"), x.id, x.address, x.role);
}

inline bool operator==(const member& x, const member& y) {
  return x.id == y.id && x.address == y.address && x.role == y.role;
}

} // namespace ooo::storage::replication

#pragma once

#include <cstdint>
#include <string>

#include "caf/atom.hpp"
#include "caf/error.hpp"
#include "caf/message.hpp"

namespace ooo::storage::replication {

/// The one list of replication's errors: name, number, meaning. Numbers cross the wire inside
/// `caf::error`, so they stay fixed once released; add new ones at the end.
#define OOO_REPLICATION_ERRORS(X)                                                              \
  X(none, 0, "not an error")                                                                   \
  X(not_leader, 1, "this node is not the leader; the context names the leader if known")      \
  X(leadership_lost, 2,                                                                        \
    "the leader stepped down before the entry was applied here: the entry may still commit")  \
  X(shutting_down, 3, "the group is closing or closed on this node")                           \
  X(unknown_group, 4, "no group with this id is open on this node")                            \
  X(group_exists, 5, "a group with this id is already open on this node")                      \
  X(too_many_pending, 6, "the group's limit of proposals in flight is reached; retry later")   \
  X(change_in_progress, 7, "another membership change or leadership transfer is in progress")  \
  X(bad_member, 8, "the member id, address or role does not fit the group's configuration")    \
  X(invalid_config, 9, "a setting of the node or group is unusable (the context says which)")  \
  X(io_failed, 10, "libraft's disk or network I/O failed (the context has its message)")       \
  X(apply_failed, 11, "the sink could not apply a committed entry; the group stopped here")    \
  X(snapshot_failed, 12, "taking, storing or restoring a snapshot failed")                     \
  X(transfer_failed, 13, "the leadership transfer ended without the target becoming leader")   \
  X(raft_failed, 14, "another libraft error (the context has its code and message)")

/// Every way a replication request can fail. Registered as the CAF error category
/// `error_category` (by `register_types`) so that errors render by name on every node.
enum class errc : uint8_t {
#define OOO_REPLICATION_ENUMERATOR(name, number, text) name = number,
  OOO_REPLICATION_ERRORS(OOO_REPLICATION_ENUMERATOR)
#undef OOO_REPLICATION_ENUMERATOR
};

/// The atom under which `errc` is registered as an error category.
constexpr caf::atom_value error_category = caf::atom("replica");

/// Returns the enumerator's name, e.g. `not_leader`; `unknown` for a number not in the list.
const char* to_string(errc x);

/// Returns the enumerator's one-line meaning.
const char* describe(errc x);

/// Parses a name produced by `to_string`; returns false for unknown names.
bool from_string(const std::string& name, errc& x);

/// Builds an error of our category; `detail` says what was wrong.
caf::error make_error(errc x, std::string detail);

/// Builds an error without detail.
caf::error make_error(errc x);

/// Builds `not_leader`, naming the leader (`leader_id` 0 and an empty address: unknown).
/// The context is `(leader_address, leader_id)` so that a caller can retry there.
caf::error make_not_leader(uint64_t leader_id, std::string leader_address);

/// Translates a libraft error code (`RAFT_NOTLEADER`, ...) into our error; `message` is
/// libraft's text (`raft_errmsg`), kept as context. 0 gives an empty error.
caf::error from_raft_code(int code, std::string message);

/// True if `err` belongs to our category and carries `x`.
inline bool is(const caf::error& err, errc x) {
  return err && err.category() == error_category && err.code() == static_cast<uint8_t>(x);
}

/// The leader named by a `not_leader` error.
struct leader_hint {
  /// 0 when this node does not know the leader (e.g. during an election).
  uint64_t id = 0;
  /// The leader's Raft address `HOST:PORT`, empty when unknown.
  std::string address;
};

/// Extracts the leader from a `not_leader` error; an empty hint for any other error.
leader_hint leader_of(const caf::error& err);

/// Renders an error of our category as `name: detail`; other categories as CAF does.
std::string render(const caf::error& err);

/// Renders code and context of an error of our category (the registered renderer).
std::string render(uint8_t code, const caf::message& context);

} // namespace ooo::storage::replication

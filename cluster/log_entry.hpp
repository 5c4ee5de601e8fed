#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "caf/expected.hpp"

#include "messages/object.hpp"
#include "replication/member.hpp"

namespace ooo::storage::cluster {

/// A leadership: the Raft term in which a node became the group's leader and caught up, and
/// that node's id. Every write entry names the epoch in which its changes were decided; it
/// takes effect only if no other epoch began in the log before it (see `write_entry`).
struct epoch {
  uint64_t term = 0;
  uint64_t node = 0;

  bool empty() const {
    return term == 0 && node == 0;
  }
};

inline bool operator==(const epoch& x, const epoch& y) {
  return x.term == y.term && x.node == y.node;
}

inline bool operator!=(const epoch& x, const epoch& y) {
  return !(x == y);
}

/// Changes the leader's store decided (each inner vector: one shard's commit round, or one
/// glob delete as a unit), proposed as one log entry. Revisions are not in the entry: every
/// node numbers the changes it applies with its own counter, in log order, so all agree.
///
/// An entry whose `decided_in` is not the epoch of the latest `leader_entry` before it in the
/// log is refused by every node alike: it was decided on a state that a later leader may have
/// changed (its proposer learns `not_leader`).
struct write_entry {
  replication::group_id group = 0;
  epoch decided_in;
  /// The proposing process (random at start-up) and its proposal number, so that the
  /// proposer recognises its own entries when they are applied, and only its own.
  uint64_t incarnation = 0;
  uint64_t proposal = 0;
  std::vector<std::vector<change>> commits;
};

/// A node became leader: everything before this entry is applied on it, its store restarted
/// from that state, and from here on only what it decides applies (until the next one).
/// `client_address` is where clients reach it (`HOST:PORT` of its CAF port), which followers
/// name in `not_leader`.
struct leader_entry {
  replication::group_id group = 0;
  epoch starts;
  std::string client_address;
};

using log_entry = std::variant<write_entry, leader_entry>;

/// Encodes an entry as msgpack: `[1, "w", group, term, node, incarnation, proposal,
/// [[[key, put, visible, unit_continues, created, updated, data], ...], ...]]` or
/// `[1, "l", group, term, node, client_address]`. A change's revision and path are left out.
std::vector<char> encode(const write_entry& x);
std::vector<char> encode(const leader_entry& x);

/// Decodes what `encode` produced; anything else is an error naming what is wrong (never a
/// crash, never an allocation beyond a small multiple of `size`). Keys are checked against the
/// key rules. Decoded changes carry `value.path == key` and revision 0.
caf::expected<log_entry> decode_entry(const char* data, size_t size);

} // namespace ooo::storage::cluster

#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "caf/actor_addr.hpp"
#include "caf/allowed_unsafe_message_type.hpp"
#include "caf/atom.hpp"

#include "caf/actor_control_block.hpp"
#include "caf/message_id.hpp"

#include "messages/object.hpp"
#include "persistence/persistence_actor.hpp"

// The store's internal protocol between its router, shards and event log. Not part of the
// public interface (messages/store_actor.hpp): only actors/ sends these.
namespace ooo::storage {

/// Router -> shards: a glob delete's first phase (the client's earlier ops are done).
using prepare_atom = caf::atom_constant<caf::atom("prepare")>;
/// Router -> shards: a glob delete's second phase (report the matching keys, hold them).
using collect_atom = caf::atom_constant<caf::atom("collect")>;
/// Router -> shards: delete what was collected, with these revisions.
using apply_atom = caf::atom_constant<caf::atom("apply")>;
/// Router -> shards: a query was answered, or a glob delete was given up.
using release_atom = caf::atom_constant<caf::atom("release")>;
/// Shard -> event log: the changes of a commit batch, for the subscribers.
using publish_atom = caf::atom_constant<caf::atom("publish")>;
/// Shard -> itself: the earliest lock lease may have run out.
using lease_atom = caf::atom_constant<caf::atom("lease")>;
/// Router -> shard: the exact-key requests of one mailbox round for this shard.
using routed_atom = caf::atom_constant<caf::atom("routed")>;

/// One exact-key request as the router hands it to its shard: what to do, for which client
/// (the original sender, who keeps its order per key), and whom to answer. The router hands
/// over the request's sender, forwarding stages and id, as CAF's `delegate` does, so that the
/// shard answers the client directly and from its own context (a response promise must be
/// delivered by the actor that made it). In-process only.
struct routed_op {
  enum kind_t : uint8_t { set, get, del, del_silent, lock, get_lock, unlock } kind = get;
  std::string key;
  bytes data;
  write_options opts;
  uint32_t lease_ms = 0;
  uint64_t token = 0;
  caf::actor_addr client;
  caf::strong_actor_ptr source;
  std::vector<caf::strong_actor_ptr> stages;
  caf::message_id id;
};

} // namespace ooo::storage

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(std::vector<ooo::storage::routed_op>)

#pragma once

#include "caf/atom.hpp"

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

} // namespace ooo::storage

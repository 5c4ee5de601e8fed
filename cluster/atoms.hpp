#pragma once

#include "caf/atom.hpp"

// The group plumbing's own message tags (local to a node; see replica_sink.hpp and front.hpp).
namespace ooo::storage::cluster {

/// To the sink: `watch_view, actor`: send `view, group_view` to it now and on every change.
using watch_view_atom = caf::atom_constant<caf::atom("watchview")>;
/// Sink -> watcher: `view, group_view`.
using view_atom = caf::atom_constant<caf::atom("view")>;
/// To the sink: `start_store` -> (empty) once the store runs on the applied state.
using start_store_atom = caf::atom_constant<caf::atom("startstore")>;
/// To the sink: `client_address, HOST:PORT`: where clients reach this node.
using client_address_atom = caf::atom_constant<caf::atom("clientaddr")>;
/// Sink -> itself: look at the group's status again.
using tick_atom = caf::atom_constant<caf::atom("tick")>;

} // namespace ooo::storage::cluster

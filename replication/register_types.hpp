#pragma once

#include "caf/actor_system_config.hpp"

namespace ooo::storage::replication {

/// Registers replication's message types (`group_settings`, `node_config`, `member`,
/// `node_status`, `snapshot_image`) and the `replica` error category with `cfg`. Call it on
/// every node that talks to a replicator, before constructing the actor system: unregistered
/// types fail on the wire, unregistered errors print as numbers.
void register_types(caf::actor_system_config& cfg);

} // namespace ooo::storage::replication

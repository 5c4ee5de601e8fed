#pragma once

#include "caf/actor_system_config.hpp"

namespace ooo::storage {

/// Registers every message type of the store (and `std::vector`s of them), the store's typed
/// handle and the `errc` error category with `cfg`. Call it on every node that talks to a
/// store, before constructing the actor system: unregistered types work locally but fail on
/// the wire, and unregistered errors print as numbers.
void register_types(caf::actor_system_config& cfg);

} // namespace ooo::storage

#pragma once

#include "caf/fwd.hpp"

#include "actors/options.hpp"
#include "messages/store_actor.hpp"

namespace ooo::storage {

/// Spawns a store: the router that owns the shards and, unless `cfg.persistent` is null, the
/// persistence actor. It answers `not_active` until it receives `start` (which loads the
/// persistent layer into the shards) and again after `close`.
///
/// Exact-key messages go to shard `shard_of(key, n)`, which answers the caller directly; the
/// requests of one mailbox round travel to each shard in one message. Batches are split by
/// shard and answered in their order. Pattern reads fan out to every shard and are merged here. Glob deletes and `clear`
/// run one at a time as a unit: every shard reports its matching keys and holds further
/// operations, persistence commits one batch, then every shard applies it and emits events.
///
/// Sending `exit` to the store ends the shards and the persistence actor too.
store_actor spawn_store(caf::actor_system& sys, store_config cfg);

} // namespace ooo::storage

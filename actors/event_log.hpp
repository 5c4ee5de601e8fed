#pragma once

#include <memory>

#include "caf/actor.hpp"
#include "caf/fwd.hpp"

#include "actors/options.hpp"

namespace ooo::storage {

/// Spawns the event log: the store's one sequencing point for events, its retained history
/// and its subscriptions.
///
/// Shards publish every committed change here (in batches, in any order across shards); the
/// log releases them strictly in revision order (revisions have no gaps: persistence assigns
/// them only to changes it wrote), appends them to the history and offers each to every
/// matching subscription. A resume point is therefore always safe: everything up to a revision
/// a subscriber has seen was delivered before it.
///
/// Flow control: events travel in batches (`event_batch`) as requests; a subscriber's (empty)
/// answer acknowledges a batch, and the window counts unacknowledged events. A batch never
/// splits a unit (a glob delete or `clear`): the unit goes to a subscriber whole or, when it is
/// a window behind, not at all. Behind, a `drop` subscription's further events are counted and
/// reported with a `lagged` notice; a `lossless` one is fed from the history at its own pace,
/// and ends (`lagged{ended}`) only if the history moves past it.
///
/// | message                                                 | reply          |
/// |---------------------------------------------------------|----------------|
/// | publish, vector<event> visible, vector<uint64_t> hidden | (none)         |
/// | load, vector<event> history, compacted revision         | (none): history from disk |
/// | start, revision (the log continues after it)           | (none)         |
/// | subscribe, pattern, subscriber, subscribe_options       | subscription id, or `compacted` |
/// | unsubscribe, id                                         | (empty)        |
/// | stats                                                   | store_stats (subscribers, dropped_events, max_lag, history) |
caf::actor spawn_event_log(caf::actor_system& sys, std::shared_ptr<const options> opts);

} // namespace ooo::storage

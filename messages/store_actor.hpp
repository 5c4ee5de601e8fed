#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "caf/actor.hpp"
#include "caf/replies_to.hpp"
#include "caf/typed_actor.hpp"

#include "messages/atoms.hpp"
#include "messages/object.hpp"

namespace ooo::storage {

/// The store's message interface: what CAF applications (local or on other nodes) send.
/// Every failure is a `caf::error` of category `error_category` (see errc.hpp).
///
/// | message                                       | reply                 |
/// |-----------------------------------------------|-----------------------|
/// | set, key, data, write_options                 | receipt               |
/// | push, pattern (`a/b/*`), data                 | receipt (the new key) |
/// | batch, vector<batch_op>                       | vector<batch_result>, one per op, in order |
/// | get, key                                      | object                |
/// | list, pattern, list_options                   | vector<object>        |
/// | keys, pattern, list_options                   | vector<string>        |
/// | del, key or pattern                           | deleted (count, revision) |
/// | delsilent, key or pattern (no events)         | deleted               |
/// | lock, key, lease_ms (0: the default)          | token                 |
/// | getlock, key, lease_ms                        | lock_grant            |
/// | unlock, key, token                            | (empty)               |
/// | clear                                         | deleted               |
/// | subscribe, pattern, subscriber                | subscription id (live)|
/// | subscribe, pattern, subscriber, options       | subscription id (resume, mode) |
/// | unsubscribe, subscription id                  | (empty)               |
/// | stats                                         | store_stats           |
/// | start (loads the persistent layer)            | (empty)               |
/// | active                                        | bool                  |
/// | shards                                        | the shard actors, in `shard_of` order |
/// | close                                         | (empty)               |
///
/// A subscriber is any actor that handles `event_batch` (and `lagged`) messages. Batches arrive
/// as requests: the subscriber's (empty) answer acknowledges one, and at most a window of events
/// is unacknowledged per subscriber, so a slow subscriber slows nobody else.
///
/// A batch carries many exact-key operations in one message: the store splits it into one
/// message per shard, each shard commits its writes as one, and the answer holds one result per
/// operation, in order. Operations of a batch on one key take effect in their order; a batch is
/// not atomic across keys (a failed operation does not undo the others).
///
/// `shards` is for in-process clients that route exact-key requests themselves (`shard_of`
/// over the table, skipping the store's hop); the shards answer `not_active` unless the store
/// is started. A client that does so and also sends pattern requests to the store keeps its
/// own order between the two paths (the facade waits for each answer).
using store_actor = caf::typed_actor<
  caf::replies_to<set_atom, std::string, bytes, write_options>::with<receipt>,
  caf::replies_to<push_atom, std::string, bytes>::with<receipt>,
  caf::replies_to<batch_atom, std::vector<batch_op>>::with<std::vector<batch_result>>,
  caf::replies_to<caf::get_atom, std::string>::with<object>,
  caf::replies_to<list_atom, std::string, list_options>::with<std::vector<object>>,
  caf::replies_to<keys_atom, std::string, list_options>::with<std::vector<std::string>>,
  caf::replies_to<del_atom, std::string>::with<deleted>,
  caf::replies_to<del_silent_atom, std::string>::with<deleted>,
  caf::replies_to<lock_atom, std::string, uint32_t>::with<uint64_t>,
  caf::replies_to<get_lock_atom, std::string, uint32_t>::with<lock_grant>,
  caf::replies_to<unlock_atom, std::string, uint64_t>::with<void>,
  caf::replies_to<clear_atom>::with<deleted>,
  caf::replies_to<caf::subscribe_atom, std::string, caf::actor>::with<uint64_t>,
  caf::replies_to<caf::subscribe_atom, std::string, caf::actor, subscribe_options>::with<uint64_t>,
  caf::replies_to<caf::unsubscribe_atom, uint64_t>::with<void>,
  caf::replies_to<stats_atom>::with<store_stats>,
  caf::replies_to<start_atom>::with<void>,
  caf::replies_to<active_atom>::with<bool>,
  caf::replies_to<shards_atom>::with<std::vector<caf::actor>>,
  // Internal: the store sends it to itself to pass on the requests of a mailbox round.
  caf::reacts_to<caf::flush_atom>,
  caf::replies_to<caf::close_atom>::with<void>>;

} // namespace ooo::storage

#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "caf/atom.hpp"
#include "caf/replies_to.hpp"
#include "caf/typed_actor.hpp"

#include "messages/store_actor.hpp"

namespace ooo::storage {

/// The membership requests of a replicated group's node (cluster/), on top of the store's
/// messages. Their names differ from the replication layer's own atoms: these are what clients
/// send to a node's published actor.
using members_atom = caf::atom_constant<caf::atom("grpmembers")>;
using add_member_atom = caf::atom_constant<caf::atom("grpadd")>;
using remove_member_atom = caf::atom_constant<caf::atom("grpremove")>;
using transfer_atom = caf::atom_constant<caf::atom("grpxfer")>;

/// What a node of a replicated group publishes: every message of `store_actor` (so that any
/// store client works unchanged; a handle of this type is assignable to `store_actor`) plus
/// membership. Only builtin types travel, so nothing beyond `register_types` is needed.
///
/// | message                                  | reply                                          |
/// |------------------------------------------|------------------------------------------------|
/// | members                                  | vector<string>: one `ID RAFT-ADDRESS ROLE` per member (`voter`, `standby`, `spare`), the leader's first with ` leader` appended |
/// | add_member, id, raft address `HOST:PORT` | (empty) once the new member is a voter (it caught up with the log first) |
/// | remove_member, id                        | (empty) once the removal committed             |
/// | transfer, id (0: the most up-to-date voter) | the new leader's id                         |
///
/// Membership changes are leader-only (`not_leader` naming the leader elsewhere), one at a
/// time (`unavailable` while another is in progress); a node joining must have been started
/// with `--join` (see apps/README.md).
using group_actor = store_actor::extend<
  caf::replies_to<members_atom>::with<std::vector<std::string>>,
  caf::replies_to<add_member_atom, uint64_t, std::string>::with<void>,
  caf::replies_to<remove_member_atom, uint64_t>::with<void>,
  caf::replies_to<transfer_atom, uint64_t>::with<uint64_t>>;

} // namespace ooo::storage

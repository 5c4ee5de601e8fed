#pragma once

#include "caf/atom.hpp"

// The message tags of the replication protocol (see replicator.hpp for the messages). CAF 0.17
// atoms hold at most 10 characters. The names differ from the store's own atoms, so that one
// actor can speak both protocols.
namespace ooo::storage::replication {

/// Requests to the replicator.
using open_group_atom = caf::atom_constant<caf::atom("opengroup")>;
using close_group_atom = caf::atom_constant<caf::atom("closegroup")>;
using propose_atom = caf::atom_constant<caf::atom("propose")>;
using barrier_atom = caf::atom_constant<caf::atom("barrier")>;
using add_member_atom = caf::atom_constant<caf::atom("addmember")>;
using assign_role_atom = caf::atom_constant<caf::atom("assignrole")>;
using remove_member_atom = caf::atom_constant<caf::atom("rmmember")>;
using transfer_atom = caf::atom_constant<caf::atom("transfer")>;
using group_status_atom = caf::atom_constant<caf::atom("grpstatus")>;

/// Requests from the replicator to a group's sink.
using committed_atom = caf::atom_constant<caf::atom("committed")>;
using take_snapshot_atom = caf::atom_constant<caf::atom("takesnap")>;
using restore_snapshot_atom = caf::atom_constant<caf::atom("restore")>;

} // namespace ooo::storage::replication

#pragma once

#include "caf/atom.hpp"

// The message tags of the store's interface. CAF 0.17 atoms hold at most 10 characters. We
// reuse CAF's own `get_atom`, `subscribe_atom`, `close_atom`, ... where one fits, so that
// declaring them here next to `using namespace caf;` cannot become ambiguous.
namespace ooo::storage {

using set_atom = caf::atom_constant<caf::atom("set")>;
using push_atom = caf::atom_constant<caf::atom("push")>;
using list_atom = caf::atom_constant<caf::atom("list")>;
using keys_atom = caf::atom_constant<caf::atom("keys")>;
using del_atom = caf::atom_constant<caf::atom("del")>;
using del_silent_atom = caf::atom_constant<caf::atom("delsilent")>;
using lock_atom = caf::atom_constant<caf::atom("lock")>;
using get_lock_atom = caf::atom_constant<caf::atom("getlock")>;
using unlock_atom = caf::atom_constant<caf::atom("unlock")>;
using clear_atom = caf::atom_constant<caf::atom("clear")>;
using stats_atom = caf::atom_constant<caf::atom("stats")>;
using active_atom = caf::atom_constant<caf::atom("active")>;
using start_atom = caf::atom_constant<caf::atom("start")>;
using batch_atom = caf::atom_constant<caf::atom("batch")>;
using shards_atom = caf::atom_constant<caf::atom("shards")>;

} // namespace ooo::storage

#pragma once

#include <string>
#include <vector>

#include "caf/expected.hpp"

#include "replication/member.hpp"

namespace ooo::storage::cluster {

/// Parses a group's initial members as given on the command line: `ID=HOST:PORT` separated by
/// commas, e.g. `1=10.0.0.1:7800,2=10.0.0.2:7800,3=10.0.0.3:7800` (every one a voter). An
/// error names the first element that is wrong: an id that is not a positive number, an
/// address that is not `HOST:PORT`, an id or address given twice.
caf::expected<std::vector<replication::member>> parse_members(const std::string& text);

} // namespace ooo::storage::cluster

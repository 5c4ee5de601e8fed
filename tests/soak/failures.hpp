#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace ooo::storage::soak {

/// Records a violated invariant: counts it, prints it to stderr at once and keeps the first 40
/// for the final report. Thread-safe. The workload stops at the first one.
void fail(const std::string& what);

/// The number of violated invariants so far.
size_t failure_count();

/// The first violations, in the order they were found.
std::vector<std::string> first_failures();

} // namespace ooo::storage::soak

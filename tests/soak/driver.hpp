#pragma once

#include <string>

#include "tests/soak/soak_config.hpp"

namespace ooo::storage::soak {

/// Runs the soak on RocksDB in `dir` (which must be empty) in three phases: setup (the store,
/// the shared counter, the oracle and the stalled subscriber), start (writer threads for
/// `cfg.duration` while subscribers come and go, the oracle resumes and RSS is sampled), check
/// (every invariant, including those after a restart of the same directory), then prints the
/// summary. Returns 0 if every invariant held.
int run_soak(const soak_config& cfg, const std::string& dir);

} // namespace ooo::storage::soak

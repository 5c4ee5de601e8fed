#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "tests/model/history.hpp"

namespace ooo::storage::model {

/// One broken promise found in a history.
struct violation {
  /// Which rule: `lost write`, `stale read`, `client order`, `mutual exclusion`, ...
  std::string rule;
  std::string detail;
  /// The key whose history shows it ("" when it concerns no single key).
  std::string key;
  /// The requests involved.
  std::vector<uint64_t> ops;
};

/// What a run recorded, and what the checker needs to know about how it ran.
struct check_input {
  std::vector<op> ops;
  std::vector<subscription_record> subscriptions;
  /// What persistence accepted, in revision order.
  std::vector<commit> commits;
  /// The store's content when the run started, and the revision it started from.
  std::map<std::string, object> initial;
  uint64_t initial_revision = 0;
  /// Lock leases could run out during the run (then a holder's release may be refused).
  bool leases_may_expire = false;
  /// Keys matching these patterns have a `before_read` hook that throws: their reads may fail
  /// with `hook_failed`.
  std::vector<std::string> failing_read_keys;
};

/// Checks a history against the store's promises (see tests/model/README.md):
/// - the commit log: gapless revisions, units in one batch;
/// - every acknowledged write committed exactly once, no failed or unknown write committed,
///   every committed change attributed to exactly one request;
/// - per key, the requests are linearizable against the revision order (a register whose
///   versions are the key's commits); a glob delete or `clear` is one step over its keys: it
///   deletes exactly the keys that matched just before it;
/// - requests of one pipelining client on overlapping keys complete and take effect in send
///   order;
/// - locks are mutual exclusion: between a holder's grant and its write no other change of the
///   key commits, and no two holders overlap;
/// - every request is answered;
/// - each subscription receives exactly the committed visible changes of its pattern, in
///   revision order, without gaps except those a `lagged` notice accounts for, a unit in one
///   batch, and from exactly `since` when resuming.
std::vector<violation> check(const check_input& in);

/// The ops and commits of `key` around the ops of `v`, for a report: the smallest history that
/// shows the violation.
std::string minimal_history(const check_input& in, const violation& v, size_t max_lines = 60);

} // namespace ooo::storage::model

#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "caf/actor_addr.hpp"

namespace ooo::storage {

/// A shard's part of the operations that span shards: list/keys queries, glob deletes (`clear`
/// is the glob of everything) and batches. Each stands in the shard's arrival order (its ticket)
/// and holds back what must not overtake it:
/// - later ops of the same client on keys its pattern covers wait until the router has
///   answered the whole operation (a client's requests on one key complete in send order);
/// - while a glob delete has collected its keys (between `collect` and `apply`), every op on a
///   key its pattern covers waits: nothing may slip between "collected" and "deleted".
class barriers {
public:
  enum class kind : uint8_t { query, glob, batch };

  enum class phase : uint8_t {
    /// Waits for the client's earlier ops on covered keys (and a query for writes in flight).
    waiting,
    /// A query has answered its part; a glob is prepared. Waits for the router.
    ready,
    /// A glob has collected its keys: every op on a covered key waits.
    collected,
  };

  struct entry {
    uint64_t id = 0;
    kind what = kind::query;
    phase state = phase::waiting;
    caf::actor_addr client;
    /// "" covers every key.
    std::string pattern;
    /// A batch covers exactly these keys (sorted) instead of a pattern.
    std::vector<std::string> keys;
    uint64_t ticket = 0;
    /// Called when the entry may leave `waiting` (re-checks and advances it).
    std::function<void()> advance;
  };

  void add(entry x);

  entry* find(uint64_t id);

  void remove(uint64_t id);

  /// True if an op of `client` that arrived with `ticket` on `key` must wait.
  bool blocks(const std::string& key, const caf::actor_addr& client, uint64_t ticket) const;

  /// True if an entry of `client` older than `ticket` overlaps `pattern` and is a glob or a
  /// batch not yet released, or a query not yet answered: a later query or glob of the same
  /// client comes after it.
  bool earlier_of(const caf::actor_addr& client, uint64_t ticket, const std::string& pattern) const;

  /// True if a collected glob overlaps `pattern` (a query must not read half-deleted keys).
  bool collected_overlap(const std::string& pattern) const;

  /// Calls `advance` of every waiting entry, oldest first.
  void advance_waiting();

  bool empty() const {
    return entries_.empty();
  }

  const std::vector<entry>& entries() const {
    return entries_;
  }

  /// True if `pattern` ("" = everything) covers `key`.
  static bool covers(const std::string& pattern, const std::string& key);

  /// True if the entry (its pattern, or a batch's keys) covers `key`.
  static bool covers(const entry& e, const std::string& key);

  /// True if the entry and `pattern` can cover a common key.
  static bool overlap(const entry& e, const std::string& pattern);

  /// True if two patterns can cover a common key.
  static bool overlap(const std::string& x, const std::string& y);

private:
  std::vector<entry> entries_;
};

} // namespace ooo::storage

#pragma once

#include <cstddef>
#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace ooo::storage {

/// A shard's secondary index: the keys under each parent path, ordered by `created` (ties by
/// key). A pattern whose parent is literal (`users/*`) reads one ordered set and stops after
/// `limit` hits, so a list costs what it returns, not what the shard holds. A pattern with a
/// `*` above the last segment visits only the parents that match it.
class key_index {
public:
  /// `(created, key)`: the order of every list.
  using entry = std::pair<int64_t, std::string>;

  void insert(std::string_view key, int64_t created);

  void erase(std::string_view key, int64_t created);

  void clear();

  /// Appends to `out` the entries whose key matches `pattern` and whose `created` lies in
  /// [`from`, `to`] (0 leaves an end open), in `(created, key)` order (reversed unless
  /// `ascending`), at most `limit` of them (0: all).
  void select(std::string_view pattern, int64_t from, int64_t to, bool ascending, size_t limit,
              std::vector<const entry*>& out) const;

  /// Appends every key matching `pattern` ("" matches all) to `out`, unsorted.
  void keys(std::string_view pattern, int64_t from, int64_t to,
            std::vector<std::string>& out) const;

private:
  std::unordered_map<std::string, std::set<entry>> children_;
};

} // namespace ooo::storage

#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/btree_set.h"
#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"

namespace ooo::storage {

/// Abseil's maps look strings up by `absl::string_view`, which Debian's Abseil keeps apart from
/// `std::string_view`.
inline absl::string_view as_absl(std::string_view x) {
  return {x.data(), x.size()};
}

/// A shard's secondary index: the keys under each parent path, ordered by `created` (ties by
/// key). A pattern whose parent is literal (`users/*`) reads one ordered set and stops after
/// `limit` hits, so a list costs what it returns, not what the shard holds. A pattern with a
/// `*` above the last segment visits only the parents that match it.
///
/// The index does not own the keys: an entry points at the key string its owner keeps (the
/// key store's map node), which must outlive the entry. Per key that is 16 bytes in a b-tree
/// instead of a second copy of the key in a tree node.
class key_index {
public:
  /// `(created, key)`: the order of every list.
  struct entry {
    int64_t created;
    const std::string* key;
  };

  struct order {
    bool operator()(const entry& x, const entry& y) const {
      return x.created != y.created ? x.created < y.created : *x.key < *y.key;
    }
  };

  using entries = absl::btree_set<entry, order>;

  /// Adds `key` (whose string must outlive the entry) under its parent.
  void insert(const std::string& key, int64_t created);

  void erase(const std::string& key, int64_t created);

  void clear();

  /// Appends to `out` the keys that match `pattern` and whose `created` lies in [`from`, `to`]
  /// (0 leaves an end open), in `(created, key)` order (reversed unless `ascending`), at most
  /// `limit` of them (0: all).
  void select(std::string_view pattern, int64_t from, int64_t to, bool ascending, size_t limit,
              std::vector<const std::string*>& out) const;

  /// Appends every key matching `pattern` ("" matches all) to `out`, unsorted.
  void keys(std::string_view pattern, int64_t from, int64_t to,
            std::vector<std::string>& out) const;

private:
  absl::flat_hash_map<std::string, entries> children_;
};

} // namespace ooo::storage

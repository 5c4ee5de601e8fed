#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/node_hash_map.h"

#include "actors/key_index.hpp"
#include "messages/object.hpp"

namespace ooo::storage {

/// A shard's keys and their current values, and the index that lists them (key_index.hpp).
///
/// Memory per key is what sizes a store: a key is one node of a hash map holding the key
/// string (inline up to 15 bytes) and `record` (32 bytes: timestamps, revision and a pointer to
/// the value's shared buffer), one 16-byte entry in its parent's b-tree pointing at that key
/// string, and the value buffer itself (8 bytes of header plus the bytes), which replies,
/// events and the history share instead of copying.
class key_store {
public:
  struct record {
    int64_t created = 0;
    int64_t updated = 0;
    uint64_t revision = 0;
    bytes data;
  };

  /// The record of `key`, or null.
  const record* find(std::string_view key) const;

  /// The object of `key` as a reply carries it (the value shared, the key copied), or none.
  caf::optional<object> get(std::string_view key) const;

  /// Stores `obj` as the value of `obj.path`, keeping the index in step.
  void put(const object& obj);

  /// Removes `key`; returns its last object (for the event), or none if it did not exist.
  caf::optional<object> erase(const std::string& key);

  void clear();

  size_t size() const {
    return values_.size();
  }

  /// The objects matching `pattern` in `(created, key)` order (see `key_index::select`).
  std::vector<object> list(std::string_view pattern, int64_t from, int64_t to, bool ascending,
                           size_t limit) const;

  /// The keys matching `pattern` ("" = all), unsorted.
  void keys(std::string_view pattern, int64_t from, int64_t to,
            std::vector<std::string>& out) const {
    index_.keys(pattern, from, to, out);
  }

private:
  static object to_object(const std::string& key, const record& r);

  absl::node_hash_map<std::string, record> values_;
  key_index index_;
};

} // namespace ooo::storage

#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "gateway/object_json.hpp"
#include "messages/object.hpp"

namespace ooo::storage::gateway {

/// What one WebSocket subscriber sees of the store: the object under a key, or the list of
/// objects matching a pattern (newest `created` first, then by path), rendered as ooo renders
/// them. Events change it, and each change comes back as the RFC 6902 operations that turn
/// the previous rendering into the new one, so a connection can send patches against what it
/// sent before.
///
/// Events are applied idempotently by revision: an event that is not newer than what the view
/// holds for its key changes nothing. A view loaded from a read taken after subscribing can
/// therefore be fed every event the subscription delivers, including those the read already
/// saw.
class live_view {
public:
  /// `pattern` is an exact key (an object view) or a pattern with `*` segments (a list view).
  explicit live_view(std::string pattern);

  bool is_list() const {
    return list_;
  }

  /// Replaces everything with the objects a read returned (any order).
  void load(std::vector<object> objects);

  /// True if the view holds an object written after `revision`.
  bool newer_than(uint64_t revision) const;

  /// True if the object view holds no object (it renders as ooo's empty object).
  bool empty() const {
    return items_.empty();
  }

  /// Applies the events of one unit (a single change, or every event of one glob delete) and
  /// returns the patch, a JSON array of operations; empty if nothing visible changed.
  json apply(const std::vector<event>& unit);

  /// The whole state: the object (or ooo's empty object), or the list.
  json snapshot() const;

  /// Number of objects held.
  size_t size() const {
    return items_.size();
  }

private:
  struct item {
    int64_t created = 0;
    std::string path;
    uint64_t revision = 0;
    json value;
  };

  /// Position of `path` in `items_`, or `items_.size()`.
  size_t position(const std::string& path) const;

  /// Where an item with this sort key belongs.
  size_t insertion_point(int64_t created, const std::string& path) const;

  void set(const object& x, uint64_t revision, json& ops);
  void erase(const std::string& key, uint64_t revision, json& ops);

  std::string pattern_;
  bool list_;
  /// Sorted by `created` descending, then by path (a list view); at most one (an object view).
  std::vector<item> items_;
  /// Key -> created, to find an item's place in `items_`.
  std::unordered_map<std::string, int64_t> created_of_;
};

} // namespace ooo::storage::gateway

#include "gateway/live_view.hpp"

#include <algorithm>

#include "messages/key.hpp"

namespace ooo::storage::gateway {

namespace {

/// Sort order of a list: newest first; equal timestamps (possible only for restored values)
/// by path, so that every connection renders the same order.
bool before(int64_t created_a, const std::string& path_a, int64_t created_b,
            const std::string& path_b) {
  if (created_a != created_b)
    return created_a > created_b;
  return path_a < path_b;
}

json op(const char* name, std::string path) {
  json result;
  result["op"] = name;
  result["path"] = std::move(path);
  return result;
}

std::string pointer(size_t pos) {
  return "/" + std::to_string(pos);
}

} // namespace

live_view::live_view(std::string pattern)
  : pattern_(std::move(pattern)), list_(is_glob(pattern_)) {
  // nop
}

void live_view::load(std::vector<object> objects) {
  items_.clear();
  created_of_.clear();
  items_.reserve(objects.size());
  for (auto& x : objects) {
    created_of_[x.path] = x.created;
    items_.push_back(item{x.created, x.path, x.revision, object_value(x)});
  }
  std::sort(items_.begin(), items_.end(), [](const item& a, const item& b) {
    return before(a.created, a.path, b.created, b.path);
  });
}

bool live_view::newer_than(uint64_t revision) const {
  return std::any_of(items_.begin(), items_.end(),
                     [revision](const item& x) { return x.revision > revision; });
}

size_t live_view::insertion_point(int64_t created, const std::string& path) const {
  auto i = std::lower_bound(items_.begin(), items_.end(), std::make_pair(created, &path),
                            [](const item& x, const std::pair<int64_t, const std::string*>& k) {
                              return before(x.created, x.path, k.first, *k.second);
                            });
  return static_cast<size_t>(i - items_.begin());
}

size_t live_view::position(const std::string& path) const {
  auto i = created_of_.find(path);
  if (i == created_of_.end())
    return items_.size();
  auto pos = insertion_point(i->second, path);
  return pos < items_.size() && items_[pos].path == path ? pos : items_.size();
}

json live_view::apply(const std::vector<event>& unit) {
  // An object view holds at most one object: the patch is the difference of the renderings.
  // A list view describes each change at its position, without rendering the whole list.
  json ops = json::array();
  json before = list_ ? json{} : snapshot();
  for (auto& ev : unit) {
    if (ev.op == event_op::set) {
      if (ev.value)
        set(*ev.value, ev.revision, ops);
    } else {
      erase(ev.key, ev.revision, ops);
    }
  }
  if (!list_)
    return json::diff(before, snapshot());
  return ops;
}

void live_view::set(const object& x, uint64_t revision, json& ops) {
  auto pos = position(x.path);
  auto value = object_value(x);
  if (pos < items_.size()) {
    auto& old = items_[pos];
    if (old.revision >= revision)
      return; // already seen (the read after subscribing had it)
    if (old.created == x.created) {
      // Same place: only what differs inside the object.
      if (list_)
        for (auto& o : json::diff(old.value, value, pointer(pos)))
          ops.push_back(std::move(o));
      old.value = std::move(value);
      old.revision = revision;
      return;
    }
    // Restored with another `created`: it moves.
    if (list_)
      ops.push_back(op("remove", pointer(pos)));
    items_.erase(items_.begin() + static_cast<std::ptrdiff_t>(pos));
    created_of_.erase(x.path);
  }
  auto at = insertion_point(x.created, x.path);
  if (list_) {
    auto add = op("add", pointer(at));
    add["value"] = value;
    ops.push_back(std::move(add));
  }
  items_.insert(items_.begin() + static_cast<std::ptrdiff_t>(at),
                item{x.created, x.path, revision, std::move(value)});
  created_of_[x.path] = x.created;
}

void live_view::erase(const std::string& key, uint64_t revision, json& ops) {
  auto pos = position(key);
  if (pos == items_.size())
    return; // not here (never was, or the read already missed it)
  if (items_[pos].revision > revision)
    return; // written again after this delete, and the view already has that
  if (list_)
    ops.push_back(op("remove", pointer(pos)));
  items_.erase(items_.begin() + static_cast<std::ptrdiff_t>(pos));
  created_of_.erase(key);
}

json live_view::snapshot() const {
  if (!list_)
    return items_.empty() ? empty_object_value() : items_.front().value;
  json result = json::array();
  for (auto& x : items_)
    result.push_back(x.value);
  return result;
}

} // namespace ooo::storage::gateway

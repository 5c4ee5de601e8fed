#include "actors/key_store.hpp"

namespace ooo::storage {

object key_store::to_object(const std::string& key, const record& r) {
  object result;
  result.created = r.created;
  result.updated = r.updated;
  result.revision = r.revision;
  result.path = key;
  result.data = r.data;
  return result;
}

const key_store::record* key_store::find(std::string_view key) const {
  auto i = values_.find(as_absl(key));
  return i == values_.end() ? nullptr : &i->second;
}

caf::optional<object> key_store::get(std::string_view key) const {
  auto i = values_.find(as_absl(key));
  if (i == values_.end())
    return caf::none;
  return to_object(i->first, i->second);
}

void key_store::put(const object& obj) {
  auto i = values_.find(obj.path);
  if (i == values_.end()) {
    i = values_.emplace(obj.path, record{}).first;
    index_.insert(i->first, obj.created);
  } else if (i->second.created != obj.created) {
    index_.erase(i->first, i->second.created);
    index_.insert(i->first, obj.created);
  }
  auto& r = i->second;
  r.created = obj.created;
  r.updated = obj.updated;
  r.revision = obj.revision;
  r.data = obj.data;
}

caf::optional<object> key_store::erase(const std::string& key) {
  auto i = values_.find(as_absl(key));
  if (i == values_.end())
    return caf::none;
  auto result = to_object(i->first, i->second);
  index_.erase(i->first, i->second.created);
  values_.erase(i);
  return result;
}

void key_store::clear() {
  index_.clear();
  values_.clear();
}

std::vector<object> key_store::list(std::string_view pattern, int64_t from, int64_t to,
                                    bool ascending, size_t limit) const {
  std::vector<const std::string*> hits;
  index_.select(pattern, from, to, ascending, limit, hits);
  std::vector<object> out;
  out.reserve(hits.size());
  for (auto* key : hits)
    out.push_back(to_object(*key, values_.find(*key)->second));
  return out;
}

} // namespace ooo::storage

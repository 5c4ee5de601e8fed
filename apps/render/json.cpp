#include "apps/render/json.hpp"

namespace ooo::storage::render_json {

json data(const bytes& x) {
  auto first = x.data();
  auto last = x.data() + x.size();
  if (!x.empty() && json::accept(first, last))
    return json::parse(first, last);
  return std::string(x.begin(), x.end());
}

json object(const ooo::storage::object& x) {
  json result;
  result["path"] = x.path;
  result["index"] = std::string{x.index()};
  result["created"] = x.created;
  result["updated"] = x.updated;
  result["revision"] = x.revision;
  result["data"] = data(x.data);
  return result;
}

json event(const ooo::storage::event& x) {
  json result;
  result["revision"] = x.revision;
  result["op"] = to_string(x.op);
  result["key"] = x.key;
  result["object"] = x.value ? object(*x.value) : json(nullptr);
  result["unit"] = x.unit;
  return result;
}

json stats(const store_stats& x) {
  json result;
  result["keys"] = x.keys;
  result["revision"] = x.revision;
  result["shards"] = x.shards;
  result["subscribers"] = x.subscribers;
  result["dropped_events"] = x.dropped_events;
  result["durability"] = x.durability;
  result["max_lag"] = x.max_lag;
  result["history"] = x.history;
  result["locks"] = x.locks;
  result["lock_waiters"] = x.lock_waiters;
  result["commit_batches"] = x.commit_batches;
  result["commit_changes"] = x.commit_changes;
  result["persistence"] = json::object();
  for (auto& [name, value] : x.persistence)
    result["persistence"][name] = value;
  // A node of a replicated group: where it stands in the group.
  if (!x.role.empty()) {
    result["role"] = x.role;
    result["leader"] = x.leader;
    result["term"] = x.term;
    result["applied"] = x.applied;
  }
  return result;
}

std::string line(const json& x) {
  return x.dump(-1, ' ', false, json::error_handler_t::replace);
}

} // namespace ooo::storage::render_json

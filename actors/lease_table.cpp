#include "actors/lease_table.hpp"

namespace ooo::storage {

void lease_table::add(const std::string& key, uint64_t token, clock::time_point deadline) {
  remove(token);
  by_token_[token] = by_deadline_.emplace(deadline, std::make_pair(key, token));
}

void lease_table::remove(uint64_t token) {
  auto i = by_token_.find(token);
  if (i == by_token_.end())
    return;
  by_deadline_.erase(i->second);
  by_token_.erase(i);
}

std::vector<std::pair<std::string, uint64_t>> lease_table::expire(clock::time_point now) {
  std::vector<std::pair<std::string, uint64_t>> result;
  while (!by_deadline_.empty() && by_deadline_.begin()->first <= now) {
    auto i = by_deadline_.begin();
    result.push_back(i->second);
    by_token_.erase(i->second.second);
    by_deadline_.erase(i);
  }
  return result;
}

std::optional<lease_table::clock::time_point> lease_table::next() const {
  if (by_deadline_.empty())
    return std::nullopt;
  return by_deadline_.begin()->first;
}

} // namespace ooo::storage

#include "actors/barriers.hpp"

#include <algorithm>

#include "messages/key.hpp"

namespace ooo::storage {

void barriers::add(entry x) {
  entries_.emplace_back(std::move(x));
}

barriers::entry* barriers::find(uint64_t id) {
  for (auto& e : entries_)
    if (e.id == id)
      return &e;
  return nullptr;
}

void barriers::remove(uint64_t id) {
  entries_.erase(std::remove_if(entries_.begin(), entries_.end(),
                                [id](const entry& e) { return e.id == id; }),
                 entries_.end());
}

bool barriers::covers(const std::string& pattern, const std::string& key) {
  return pattern.empty() || matches(pattern, key);
}

bool barriers::covers(const entry& e, const std::string& key) {
  if (e.what == kind::batch)
    return std::binary_search(e.keys.begin(), e.keys.end(), key);
  return covers(e.pattern, key);
}

bool barriers::overlap(const entry& e, const std::string& pattern) {
  if (e.what != kind::batch)
    return overlap(e.pattern, pattern);
  return std::any_of(e.keys.begin(), e.keys.end(),
                     [&](const std::string& key) { return covers(pattern, key); });
}

bool barriers::overlap(const std::string& x, const std::string& y) {
  if (x.empty() || y.empty())
    return true;
  // Segment by segment: equal, or either is `*`; and the same number of segments.
  size_t i = 0, j = 0;
  for (;;) {
    auto xe = x.find('/', i);
    auto ye = y.find('/', j);
    auto xs = std::string_view{x}.substr(i, xe == std::string::npos ? std::string::npos : xe - i);
    auto ys = std::string_view{y}.substr(j, ye == std::string::npos ? std::string::npos : ye - j);
    if (xs != "*" && ys != "*" && xs != ys)
      return false;
    if (xe == std::string::npos || ye == std::string::npos)
      return xe == ye;
    i = xe + 1;
    j = ye + 1;
  }
}

bool barriers::blocks(const std::string& key, const caf::actor_addr& client,
                      uint64_t ticket) const {
  for (auto& e : entries_) {
    if (!covers(e, key))
      continue;
    if (e.state == phase::collected)
      return true;
    if (e.client == client && e.ticket < ticket)
      return true;
  }
  return false;
}

bool barriers::earlier_of(const caf::actor_addr& client, uint64_t ticket,
                          const std::string& pattern) const {
  for (auto& e : entries_)
    if ((e.what != kind::query || e.state == phase::waiting) && e.client == client
        && e.ticket < ticket && overlap(e, pattern))
      return true;
  return false;
}

bool barriers::collected_overlap(const std::string& pattern) const {
  for (auto& e : entries_)
    if (e.state == phase::collected && overlap(e, pattern))
      return true;
  return false;
}

void barriers::advance_waiting() {
  // `advance` may remove or add entries: walk by id.
  std::vector<uint64_t> ids;
  for (auto& e : entries_)
    if (e.state == phase::waiting)
      ids.push_back(e.id);
  for (auto id : ids)
    if (auto e = find(id); e != nullptr && e->state == phase::waiting && e->advance) {
      auto advance = e->advance;
      advance();
    }
}

} // namespace ooo::storage

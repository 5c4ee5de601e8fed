#include "actors/key_index.hpp"

#include <algorithm>
#include <limits>

#include "messages/key.hpp"

namespace ooo::storage {

namespace {

const std::string no_key;

// Calls `f(entry)` for the entries of `set` within [from, to], in the requested order, until
// `f` returns false.
template <class F>
void walk(const key_index::entries& set, int64_t from, int64_t to, bool ascending, F f) {
  auto lo = from == 0 ? set.begin() : set.lower_bound(key_index::entry{from, &no_key});
  auto hi = to == 0 ? set.end()
                    : set.lower_bound(key_index::entry{
                      to == std::numeric_limits<int64_t>::max() ? to : to + 1, &no_key});
  if (ascending) {
    for (auto i = lo; i != hi; ++i)
      if (!f(*i))
        return;
  } else {
    for (auto i = hi; i != lo;)
      if (!f(*--i))
        return;
  }
}

} // namespace

void key_index::insert(const std::string& key, int64_t created) {
  auto parent = parent_of(key);
  auto i = children_.find(as_absl(parent));
  if (i == children_.end())
    i = children_.emplace(std::string{parent}, entries{}).first;
  i->second.insert(entry{created, &key});
}

void key_index::erase(const std::string& key, int64_t created) {
  auto i = children_.find(as_absl(parent_of(key)));
  if (i == children_.end())
    return;
  i->second.erase(entry{created, &key});
  if (i->second.empty())
    children_.erase(i);
}

void key_index::clear() {
  children_.clear();
}

void key_index::select(std::string_view pattern, int64_t from, int64_t to, bool ascending,
                       size_t limit, std::vector<const std::string*>& out) const {
  auto parent = parent_of(pattern);
  auto last = last_segment(pattern);
  auto last_matches = [&](const entry& e) {
    return last == "*" || last_segment(*e.key) == last;
  };
  if (!is_glob(parent)) {
    auto i = children_.find(as_absl(parent));
    if (i == children_.end())
      return;
    size_t n = 0;
    walk(i->second, from, to, ascending, [&](const entry& e) {
      if (last_matches(e)) {
        out.push_back(e.key);
        ++n;
      }
      return limit == 0 || n < limit;
    });
    return;
  }
  std::vector<entry> hits;
  for (auto& [path, set] : children_) {
    // A one-segment key has the empty parent, which no parent pattern may match.
    if (path.empty() || !matches(parent, path))
      continue;
    walk(set, from, to, true, [&](const entry& e) {
      if (last_matches(e))
        hits.push_back(e);
      return true;
    });
  }
  order before;
  if (ascending)
    std::sort(hits.begin(), hits.end(), before);
  else
    std::sort(hits.begin(), hits.end(), [&](const entry& x, const entry& y) { return before(y, x); });
  if (limit != 0 && hits.size() > limit)
    hits.resize(limit);
  for (auto& e : hits)
    out.push_back(e.key);
}

void key_index::keys(std::string_view pattern, int64_t from, int64_t to,
                     std::vector<std::string>& out) const {
  auto visit = [&](const entries& set) {
    walk(set, from, to, true, [&](const entry& e) {
      if (pattern.empty() || matches(pattern, *e.key))
        out.push_back(*e.key);
      return true;
    });
  };
  auto parent = parent_of(pattern);
  if (!pattern.empty() && !is_glob(parent)) {
    auto i = children_.find(as_absl(parent));
    if (i != children_.end())
      visit(i->second);
    return;
  }
  for (auto& [path, set] : children_)
    if (pattern.empty() || (!path.empty() && matches(parent, path)))
      visit(set);
}

} // namespace ooo::storage

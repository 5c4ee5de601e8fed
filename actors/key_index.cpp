#include "actors/key_index.hpp"

#include <algorithm>
#include <limits>

#include "messages/key.hpp"

namespace ooo::storage {

namespace {

// Calls `f(entry)` for the entries of `set` within [from, to], in the requested order, until
// `f` returns false.
template <class F>
void walk(const std::set<key_index::entry>& set, int64_t from, int64_t to, bool ascending,
          F f) {
  auto lo = from == 0 ? set.begin() : set.lower_bound({from, std::string{}});
  auto hi = to == 0 ? set.end()
                    : set.lower_bound({to == std::numeric_limits<int64_t>::max() ? to : to + 1,
                                       std::string{}});
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

void key_index::insert(std::string_view key, int64_t created) {
  children_[std::string{parent_of(key)}].emplace(created, std::string{key});
}

void key_index::erase(std::string_view key, int64_t created) {
  auto i = children_.find(std::string{parent_of(key)});
  if (i == children_.end())
    return;
  i->second.erase(entry{created, std::string{key}});
  if (i->second.empty())
    children_.erase(i);
}

void key_index::clear() {
  children_.clear();
}

void key_index::select(std::string_view pattern, int64_t from, int64_t to, bool ascending,
                       size_t limit, std::vector<const entry*>& out) const {
  auto parent = parent_of(pattern);
  auto last = last_segment(pattern);
  auto last_matches = [&](const entry& e) {
    return last == "*" || last_segment(e.second) == last;
  };
  if (!is_glob(parent)) {
    auto i = children_.find(std::string{parent});
    if (i == children_.end())
      return;
    size_t n = 0;
    walk(i->second, from, to, ascending, [&](const entry& e) {
      if (last_matches(e)) {
        out.push_back(&e);
        ++n;
      }
      return limit == 0 || n < limit;
    });
    return;
  }
  auto first = out.size();
  for (auto& [path, set] : children_) {
    // A one-segment key has the empty parent, which no parent pattern may match.
    if (path.empty() || !matches(parent, path))
      continue;
    walk(set, from, to, true, [&](const entry& e) {
      if (last_matches(e))
        out.push_back(&e);
      return true;
    });
  }
  auto begin = out.begin() + static_cast<std::ptrdiff_t>(first);
  if (ascending)
    std::sort(begin, out.end(), [](const entry* x, const entry* y) { return *x < *y; });
  else
    std::sort(begin, out.end(), [](const entry* x, const entry* y) { return *y < *x; });
  if (limit != 0 && out.size() - first > limit)
    out.resize(first + limit);
}

void key_index::keys(std::string_view pattern, int64_t from, int64_t to,
                     std::vector<std::string>& out) const {
  auto visit = [&](const std::set<entry>& set) {
    walk(set, from, to, true, [&](const entry& e) {
      if (pattern.empty() || matches(pattern, e.second))
        out.push_back(e.second);
      return true;
    });
  };
  auto parent = parent_of(pattern);
  if (!pattern.empty() && !is_glob(parent)) {
    auto i = children_.find(std::string{parent});
    if (i != children_.end())
      visit(i->second);
    return;
  }
  for (auto& [path, set] : children_)
    if (pattern.empty() || (!path.empty() && matches(parent, path)))
      visit(set);
}

} // namespace ooo::storage

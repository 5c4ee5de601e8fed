#include <algorithm>
#include <set>
#include <sstream>

#include "tests/model/check_context.hpp"

namespace ooo::storage::model {

namespace {

bool touches(const op& x, const std::string& key) {
  if (key.empty())
    return false;
  if (x.kind == op_kind::clear)
    return true;
  if (is_multi_key(x.kind))
    return covers(x.key, key);
  return x.key == key;
}

} // namespace

std::string minimal_history(const check_input& in, const violation& v, size_t max_lines) {
  std::set<uint64_t> involved;
  for (auto id : v.ops)
    if (id != 0 && id <= in.ops.size())
      involved.insert(id);
  uint64_t from = UINT64_MAX, to = 0;
  for (auto id : involved) {
    auto& x = in.ops[id - 1];
    from = std::min(from, x.invoke);
    to = std::max(to, x.complete == 0 ? x.invoke : x.complete);
  }
  if (involved.empty()) {
    from = 0;
    to = UINT64_MAX;
  }
  // Lines: (tick, text). Ops overlapping the window that touch the key, and the key's commits.
  std::vector<std::pair<uint64_t, std::string>> lines;
  for (auto& x : in.ops) {
    auto end = x.complete == 0 ? UINT64_MAX : x.complete;
    bool in_window = x.invoke <= to && end >= from;
    if (involved.count(x.id) || (in_window && touches(x, v.key)))
      lines.emplace_back(x.invoke, (involved.count(x.id) ? "* " : "  ") + describe(x));
  }
  const commit* before = nullptr;
  for (auto& c : in.commits) {
    if (c.what.key != v.key)
      continue;
    if (c.tick < from) {
      before = &c;
      continue;
    }
    if (c.tick > to)
      break;
    std::ostringstream out;
    out << "  commit @" << c.revision() << " tick " << c.tick << " "
        << (c.what.put ? "put " : "del ") << c.what.key;
    if (c.what.put)
      out << " " << std::string(c.what.value.data.begin(), c.what.value.data.end());
    if (c.unit != c.revision())
      out << " (unit " << c.unit << ")";
    lines.emplace_back(c.tick, out.str());
  }
  if (before) {
    std::ostringstream out;
    out << "  commit @" << before->revision() << " tick " << before->tick << " "
        << (before->what.put ? "put " : "del ") << before->what.key << " (the last one before)";
    lines.emplace_back(before->tick, out.str());
  }
  std::stable_sort(lines.begin(), lines.end(),
                   [](auto& a, auto& b) { return a.first < b.first; });
  // Keep the involved ops and what lies nearest to them.
  if (lines.size() > max_lines) {
    std::vector<std::pair<uint64_t, std::string>> kept;
    for (auto& l : lines)
      if (l.second.rfind("* ", 0) == 0)
        kept.push_back(l);
    for (auto& l : lines)
      if (kept.size() < max_lines && l.second.rfind("* ", 0) != 0)
        kept.push_back(l);
    std::stable_sort(kept.begin(), kept.end(),
                     [](auto& a, auto& b) { return a.first < b.first; });
    lines = std::move(kept);
  }
  std::ostringstream out;
  for (auto& l : lines)
    out << l.second << '\n';
  return out.str();
}

} // namespace ooo::storage::model

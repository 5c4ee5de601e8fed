#include <algorithm>
#include <climits>

#include "tests/model/check_context.hpp"

namespace ooo::storage::model {

namespace {

/// Linearization points lie strictly between ticks: a tick is worth this many points.
constexpr int64_t scale = int64_t{1} << 20;

constexpr int64_t never = INT64_MAX;

int64_t begin_of(const op& x) {
  return static_cast<int64_t>(x.invoke) * scale;
}

int64_t end_of(const op& x) {
  return x.complete == 0 ? never : static_cast<int64_t>(x.complete) * scale;
}

std::string at(const version& v) {
  return v.exists ? "@" + std::to_string(v.revision) : "absent@" + std::to_string(v.revision);
}

} // namespace

void check_context::check_keys() {
  // Positions by key and version.
  std::map<std::string, std::map<size_t, std::vector<const position*>>> reads;
  for (auto& p : positions)
    if (!p.write)
      reads[p.key][p.index].push_back(&p);
  for (auto& [k, kv] : keys) {
    auto& vs = kv.versions;
    auto& by_version = reads[k];
    // Greedy: every op as early as its own invocation and everything before it allows. The
    // versions' order is fixed (the revisions), so the earliest points are the best choice; an
    // op whose earliest point lies past its completion cannot take effect in that order.
    int64_t t = 0;
    uint64_t blocker = 0;
    bool broken = false;
    for (size_t i = 0; i < vs.size() && !broken; ++i) {
      auto& v = vs[i];
      int64_t pw = t;
      if (v.writer != 0) {
        auto& w = get(v.writer);
        auto earliest = std::max(begin_of(w) + 1, t + 1);
        if (earliest >= end_of(w)) {
          report("not linearizable",
                 "#" + std::to_string(w.id) + " wrote " + k + " " + at(v)
                   + ", but it completed before #" + std::to_string(blocker)
                   + " started, which saw an older version of " + k,
                 k, {w.id, blocker});
          broken = true;
          break;
        }
        if (earliest == begin_of(w) + 1)
          blocker = w.id;
        pw = earliest;
      } else if (i > 0) {
        pw = std::max(static_cast<int64_t>(v.tick) * scale, t + 1);
      }
      t = pw;
      auto pos = by_version.find(i);
      if (pos == by_version.end())
        continue;
      for (auto* p : pos->second) {
        auto& r = get(p->op);
        auto earliest = std::max(begin_of(r) + 1, pw + 1);
        if (earliest >= end_of(r)) {
          std::string why;
          if (v.writer != 0 && begin_of(get(v.writer)) >= end_of(r))
            why = ", a value whose write #" + std::to_string(v.writer)
                  + " started only after it completed";
          else
            why = ", although #" + std::to_string(blocker) + ", which started after it completed,"
                  + " saw an older version";
          report("not linearizable",
                 "#" + std::to_string(r.id) + " read " + k + " " + at(v) + why, k,
                 {r.id, v.writer, blocker});
          broken = true;
          break;
        }
        if (earliest > t) {
          t = earliest;
          if (earliest == begin_of(r) + 1)
            blocker = r.id;
        }
      }
    }
  }
  check_vague_reads();
}

void check_context::check_vague_reads() {
  // Per key: for each version, when its write started and completed.
  struct span {
    int64_t begin;
    int64_t end;
  };
  std::map<std::string, std::vector<span>> spans;
  for (auto& [k, kv] : keys) {
    auto& out = spans[k];
    for (size_t i = 0; i < kv.versions.size(); ++i) {
      auto& v = kv.versions[i];
      if (i == 0)
        out.push_back(span{0, 0});
      else if (v.writer != 0)
        out.push_back(span{begin_of(get(v.writer)), end_of(get(v.writer))});
      else
        out.push_back(span{static_cast<int64_t>(v.tick) * scale,
                           static_cast<int64_t>(v.tick) * scale});
    }
  }
  for (auto& r : vague) {
    auto& x = get(r.op);
    auto& kv = keys[r.key];
    auto& sp = spans[r.key];
    // The read sees a version no older than any whose write completed before it started, and
    // no newer than any whose write started before it completed.
    size_t lo = 0;
    size_t hi = 0;
    for (size_t i = 0; i < sp.size(); ++i) {
      if (sp[i].end < begin_of(x))
        lo = std::max(lo, i);
      if (sp[i].begin < end_of(x))
        hi = std::max(hi, i);
    }
    bool possible = false;
    for (size_t i = lo; i <= hi && !possible; ++i) {
      auto& v = kv.versions[i];
      switch (r.what) {
        case vague_read::absent:
          possible = !v.exists;
          break;
        case vague_read::present:
          possible = v.exists;
          break;
        default:
          possible = v.exists ? v.revision != r.revision : r.revision != 0;
      }
    }
    if (possible)
      continue;
    const char* saw = r.what == vague_read::absent    ? "absent"
                      : r.what == vague_read::present ? "present"
                                                      : "not at the expected revision";
    auto& newest = kv.versions[lo];
    report("not linearizable",
           "#" + std::to_string(x.id) + " (" + to_string(x.kind) + ") found " + r.key + " " + saw
             + ", but while it ran " + r.key + " was only ever "
             + (lo <= hi ? at(newest) + (hi > lo ? " .. " + at(kv.versions[hi]) : "")
                         : std::string{"(no possible version)"}),
           r.key, {x.id, newest.writer});
  }
}

} // namespace ooo::storage::model

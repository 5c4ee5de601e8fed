#include <algorithm>
#include <sstream>

#include "messages/key.hpp"
#include "tests/model/check_context.hpp"

namespace ooo::storage::model {

namespace {

std::string text(const bytes& x) {
  return std::string(x.begin(), x.end());
}

bool is_glob_kind(op_kind x) {
  return x == op_kind::del_glob || x == op_kind::del_glob_silent || x == op_kind::clear;
}

bool is_silent_kind(op_kind x) {
  return x == op_kind::del_silent || x == op_kind::del_glob_silent;
}

std::vector<std::string> segments(const std::string& x) {
  std::vector<std::string> result;
  size_t start = 0;
  for (;;) {
    auto slash = x.find('/', start);
    result.push_back(x.substr(start, slash - start));
    if (slash == std::string::npos)
      return result;
    start = slash + 1;
  }
}

} // namespace

bool covers(const std::string& pattern, const std::string& key) {
  return pattern.empty() || matches(pattern, key);
}

bool overlaps(const std::string& x, const std::string& y) {
  if (x.empty() || y.empty())
    return true;
  auto xs = segments(x);
  auto ys = segments(y);
  if (xs.size() != ys.size())
    return false;
  for (size_t i = 0; i < xs.size(); ++i)
    if (xs[i] != "*" && ys[i] != "*" && xs[i] != ys[i])
      return false;
  return true;
}

size_t key_versions::before(uint64_t revision) const {
  auto i = by_revision.lower_bound(revision);
  if (i == by_revision.begin())
    return 0;
  return std::prev(i)->second;
}

check_context::check_context(const check_input& input) : in(input) {
  build_versions();
}

void check_context::report(std::string rule, std::string detail, std::string key,
                           std::vector<uint64_t> ops) {
  found.push_back(violation{std::move(rule), std::move(detail), std::move(key), std::move(ops)});
}

void check_context::build_versions() {
  for (auto& [k, obj] : in.initial) {
    auto& kv = keys[k];
    version v;
    v.revision = obj.revision;
    v.exists = true;
    v.obj = obj;
    kv.versions.push_back(std::move(v));
    kv.by_revision[obj.revision] = 0;
  }
  for (auto& x : in.ops)
    if (!is_multi_key(x.kind) && !x.key.empty())
      keys[x.key];
  for (auto& c : in.commits)
    keys[c.what.key];
  for (auto& x : in.ops) {
    for (auto& obj : x.listed)
      keys[obj.path];
    for (auto& k : x.keys_listed)
      keys[k];
  }
  for (auto& [k, kv] : keys)
    if (kv.versions.empty())
      kv.versions.push_back(version{});
  uint64_t expected = in.initial_revision + 1;
  for (auto& c : in.commits) {
    if (c.revision() != expected) {
      report("revision gap", "the commit log jumps from revision " + std::to_string(expected - 1)
                               + " to " + std::to_string(c.revision()),
             c.what.key, {});
      expected = c.revision();
    }
    ++expected;
    auto& kv = keys[c.what.key];
    version v;
    v.revision = c.revision();
    v.exists = c.what.put;
    if (v.exists) {
      v.obj = c.what.value;
      v.obj.path = c.what.key;
    }
    v.tick = c.tick;
    v.unit = c.unit;
    v.visible = c.what.visible;
    kv.by_revision[v.revision] = kv.versions.size();
    kv.versions.push_back(std::move(v));
  }
  // A unit is one run of revisions ending at its name, written in one batch.
  for (size_t i = 0; i < in.commits.size();) {
    size_t j = i;
    while (j + 1 < in.commits.size() && in.commits[j + 1].unit == in.commits[i].unit)
      ++j;
    auto& last = in.commits[j];
    if (last.unit != last.revision() || in.commits[i].batch != last.batch)
      report("broken unit", "unit " + std::to_string(in.commits[i].unit) + " spans revisions "
                              + std::to_string(in.commits[i].revision()) + ".."
                              + std::to_string(last.revision()) + " in batches "
                              + std::to_string(in.commits[i].batch) + ".."
                              + std::to_string(last.batch),
             last.what.key, {});
    i = j + 1;
  }
  attribute_puts();
  attribute_deletes();
  replay_globs();
  collect_reads();
}

// -- every committed value names the op that wrote it ------------------------------------------

void check_context::attribute_puts() {
  std::set<uint64_t> claimed;
  for (auto& c : in.commits) {
    if (!c.what.put)
      continue;
    auto& k = c.what.key;
    auto id = writer_of(c.what.value.data);
    if (id == 0 || id > in.ops.size()) {
      report("phantom write", "revision " + std::to_string(c.revision()) + " wrote "
                                + text(c.what.value.data) + ", which no request sent",
             k, {});
      continue;
    }
    auto& x = get(id);
    auto v = keys[k].by_revision[c.revision()];
    if (!claimed.insert(id).second) {
      report("write committed twice", "revision " + std::to_string(c.revision())
                                        + " repeats the write of #" + std::to_string(id),
             k, {id});
      continue;
    }
    bool right_key = x.kind == op_kind::set ? x.key == k
                                            : x.kind == op_kind::push && covers(x.key, k);
    if (!right_key) {
      report("phantom write", "revision " + std::to_string(c.revision()) + " wrote " + k
                                + " with the value of #" + std::to_string(id),
             k, {id});
      continue;
    }
    keys[k].versions[v].writer = id;
    if (x.complete != 0 && x.error) {
      report("failed write committed",
             "#" + std::to_string(id) + " failed (" + render(x.error) + ") but revision "
               + std::to_string(c.revision()) + " holds its value",
             k, {id});
      continue;
    }
    positions.push_back(position{id, k, v, true});
    if (!x.ok() || x.receipt_unknown)
      continue;
    auto& w = x.written;
    auto& stored = c.what.value;
    if (w.key != k || w.revision != c.revision() || w.created != stored.created
        || w.updated != stored.updated)
      report("wrong receipt", "#" + std::to_string(id) + " was told " + w.key + " @"
                                + std::to_string(w.revision) + " created "
                                + std::to_string(w.created) + " updated "
                                + std::to_string(w.updated) + ", persistence holds @"
                                + std::to_string(c.revision()) + " created "
                                + std::to_string(stored.created) + " updated "
                                + std::to_string(stored.updated),
             k, {id});
  }
  for (auto& x : in.ops)
    if ((x.kind == op_kind::set || x.kind == op_kind::push) && x.ok() && !claimed.count(x.id))
      report("lost write", "#" + std::to_string(x.id) + " was acknowledged (@"
                             + std::to_string(x.written.revision)
                             + ") but persistence never accepted it",
             x.written.key, {x.id});
}

// -- every deletion belongs to exactly one delete, glob delete or clear ------------------------

void check_context::attribute_deletes() {
  struct del_unit {
    std::vector<size_t> commits; // indices into in.commits
    uint64_t tick = 0;
    bool claimed = false;
  };
  std::map<uint64_t, del_unit> units; // by unit (its last revision)
  for (size_t i = 0; i < in.commits.size(); ++i) {
    auto& c = in.commits[i];
    if (c.what.put)
      continue;
    auto& u = units[c.unit];
    if (u.commits.empty())
      u.tick = c.tick;
    u.commits.push_back(i);
  }
  auto fits = [&](const op& x, const del_unit& u) {
    auto& first = in.commits[u.commits.front()];
    bool covered = false;
    switch (x.kind) {
      case op_kind::del:
      case op_kind::del_silent:
        covered = u.commits.size() == 1 && x.key == first.what.key;
        break;
      case op_kind::del_glob:
      case op_kind::del_glob_silent:
      case op_kind::clear:
        covered = std::all_of(u.commits.begin(), u.commits.end(), [&](size_t i) {
          return covers(x.kind == op_kind::clear ? std::string{} : x.key, in.commits[i].what.key);
        });
        break;
      default:
        break;
    }
    if (covered && is_silent_kind(x.kind))
      covered = std::none_of(u.commits.begin(), u.commits.end(),
                             [&](size_t i) { return in.commits[i].what.visible; });
    return covered;
  };
  auto claim = [&](const op& x, del_unit& u) {
    u.claimed = true;
    auto& first = in.commits[u.commits.front()];
    for (auto i : u.commits) {
      auto& c = in.commits[i];
      auto v = keys[c.what.key].by_revision[c.revision()];
      keys[c.what.key].versions[v].writer = x.id;
      positions.push_back(position{x.id, c.what.key, v, true});
    }
    if (is_glob_kind(x.kind))
      glob_units[x.id] = {first.revision(), first.revision() + u.commits.size() - 1};
  };
  // An acknowledged delete names its revision: the unit that ends there is its.
  for (auto& x : in.ops) {
    bool deletes = x.kind == op_kind::del || x.kind == op_kind::del_silent || is_glob_kind(x.kind);
    if (!deletes || !x.ok() || x.number == 0)
      continue;
    auto u = units.find(x.revision);
    if (u == units.end() || u->second.claimed || u->second.commits.size() != x.number
        || !fits(x, u->second)) {
      report("lost delete", "#" + std::to_string(x.id) + " was told it deleted "
                              + std::to_string(x.number) + " at revision "
                              + std::to_string(x.revision)
                              + " but persistence holds no such delete",
             is_glob_kind(x.kind) ? "" : x.key, {x.id});
      continue;
    }
    claim(x, u->second);
  }
  // What no acknowledged delete claims may belong to one that was never answered.
  for (auto& [unit, u] : units) {
    if (u.claimed)
      continue;
    const op* owner = nullptr;
    for (auto& x : in.ops) {
      bool deletes = x.kind == op_kind::del || x.kind == op_kind::del_silent
                     || is_glob_kind(x.kind);
      if (deletes && x.complete == 0 && x.invoke < u.tick && fits(x, u)
          && !glob_units.count(x.id)) {
        owner = &x;
        break;
      }
    }
    if (owner) {
      claim(*owner, u);
      continue;
    }
    auto& first = in.commits[u.commits.front()];
    std::string list;
    for (auto i : u.commits)
      list += (list.empty() ? "" : " ") + in.commits[i].what.key;
    report("phantom delete", "revisions " + std::to_string(first.revision()) + ".."
                               + std::to_string(unit) + " deleted " + list
                               + ", which no acknowledged delete accounts for",
           first.what.key, {});
  }
}

// -- a glob delete deletes exactly what matched just before it ---------------------------------

void check_context::replay_globs() {
  std::map<uint64_t, uint64_t> glob_at; // first revision of a unit -> op
  for (auto& [id, range] : glob_units)
    glob_at[range.first] = id;
  // Globs that deleted nothing: some moment of theirs saw no matching key.
  struct empty_glob {
    uint64_t op;
    std::string pattern;
    uint64_t lo;
    uint64_t hi;
    bool seen_empty = false;
  };
  std::vector<empty_glob> empties;
  auto revision_before = [&](uint64_t tick) {
    // Ticks grow with revisions: the persistence actor writes one batch after the other.
    auto i = std::lower_bound(in.commits.begin(), in.commits.end(), tick,
                              [](const commit& c, uint64_t t) { return c.tick < t; });
    return i == in.commits.begin() ? in.initial_revision : std::prev(i)->revision();
  };
  for (auto& x : in.ops)
    if (is_glob_kind(x.kind) && x.ok() && x.number == 0)
      empties.push_back(empty_glob{x.id, x.kind == op_kind::clear ? std::string{} : x.key,
                                   revision_before(x.invoke), revision_before(x.complete)});
  std::set<std::string> present;
  for (auto& [k, obj] : in.initial)
    present.insert(k);
  auto look_empty = [&](uint64_t revision) {
    for (auto& e : empties) {
      if (e.seen_empty || revision < e.lo || revision > e.hi)
        continue;
      e.seen_empty = std::none_of(present.begin(), present.end(),
                                  [&](const std::string& k) { return covers(e.pattern, k); });
    }
  };
  look_empty(in.initial_revision);
  for (size_t i = 0; i < in.commits.size(); ++i) {
    auto& c = in.commits[i];
    if (auto g = glob_at.find(c.revision()); g != glob_at.end()) {
      auto& x = get(g->second);
      auto pattern = x.kind == op_kind::clear ? std::string{} : x.key;
      auto [first, last] = glob_units[x.id];
      std::set<std::string> deleted;
      for (auto r = first; r <= last; ++r)
        deleted.insert(in.commits[i + (r - first)].what.key);
      std::set<std::string> matched;
      for (auto& k : present)
        if (covers(pattern, k))
          matched.insert(k);
      if (matched != deleted) {
        std::string missed, extra;
        for (auto& k : matched)
          if (!deleted.count(k))
            missed += " " + k;
        for (auto& k : deleted)
          if (!matched.count(k))
            extra += " " + k;
        report("glob not atomic", "#" + std::to_string(x.id) + " (" + to_string(x.kind) + " "
                                    + pattern + ") at revision " + std::to_string(first)
                                    + (missed.empty() ? "" : " left" + missed)
                                    + (extra.empty() ? "" : " deleted absent" + extra),
               !missed.empty() ? missed.substr(1, missed.find(' ', 1) - 1)
                               : extra.substr(1, extra.find(' ', 1) - 1),
               {x.id});
      }
      // The keys it did not delete were absent just before it: it read them.
      for (auto& [k, kv] : keys)
        if (covers(pattern, k) && !deleted.count(k))
          positions.push_back(position{x.id, k, kv.before(first), false});
    }
    if (c.what.put)
      present.insert(c.what.key);
    else
      present.erase(c.what.key);
    look_empty(c.revision());
  }
  for (auto& e : empties)
    if (!e.seen_empty)
      report("glob not atomic", "#" + std::to_string(e.op) + " deleted nothing, but keys matching '"
                                  + e.pattern + "' existed at every revision from "
                                  + std::to_string(e.lo) + " to " + std::to_string(e.hi)
                                  + " (while it ran)",
             "", {e.op});
}

// -- what each read pins down ------------------------------------------------------------------

void check_context::collect_reads() {
  auto definite = [&](const op& x, const object& obj) {
    auto kv = keys.find(obj.path);
    if (kv == keys.end() || !kv->second.by_revision.count(obj.revision)) {
      report("dirty read", "#" + std::to_string(x.id) + " read " + obj.path + " @"
                             + std::to_string(obj.revision) + " = " + text(obj.data)
                             + ", a revision persistence never accepted for it",
             obj.path, {x.id});
      return;
    }
    auto index = kv->second.by_revision[obj.revision];
    auto& v = kv->second.versions[index];
    if (!v.exists || v.obj.data != obj.data || v.obj.created != obj.created
        || v.obj.updated != obj.updated) {
      report("dirty read", "#" + std::to_string(x.id) + " read " + obj.path + " @"
                             + std::to_string(obj.revision) + " = " + text(obj.data) + " (created "
                             + std::to_string(obj.created) + ", updated "
                             + std::to_string(obj.updated) + "), persistence holds "
                             + (v.exists ? text(v.obj.data) : std::string{"a delete"}),
             obj.path, {x.id});
      return;
    }
    positions.push_back(position{x.id, obj.path, index, false});
  };
  auto absent_others = [&](const op& x, const std::string& pattern,
                           const std::set<std::string>& returned) {
    for (auto& [k, kv] : keys)
      if (covers(pattern, k) && !returned.count(k))
        vague.push_back(vague_read{x.id, k, vague_read::absent, 0});
  };
  for (auto& x : in.ops) {
    if (x.complete == 0)
      continue;
    switch (x.kind) {
      case op_kind::set:
        if (x.failed_with(errc::conflict)) {
          vague.push_back(vague_read{x.id, x.key, vague_read::not_revision,
                                     static_cast<uint64_t>(x.wopts.expected_revision)});
        }
        break;
      case op_kind::get:
      case op_kind::get_lock:
        if (x.ok())
          definite(x, x.read);
        else if (x.failed_with(errc::not_found))
          vague.push_back(vague_read{x.id, x.key, vague_read::absent, 0});
        break;
      case op_kind::del:
      case op_kind::del_silent:
        if (x.failed_with(errc::not_found))
          vague.push_back(vague_read{x.id, x.key, vague_read::absent, 0});
        break;
      case op_kind::del_glob:
      case op_kind::del_glob_silent:
      case op_kind::clear:
        if (x.ok() && x.number == 0)
          absent_others(x, x.kind == op_kind::clear ? std::string{} : x.key, {});
        break;
      case op_kind::list: {
        if (!x.ok())
          break;
        std::set<std::string> returned;
        auto& o = x.lopts;
        for (size_t i = 0; i < x.listed.size(); ++i) {
          auto& obj = x.listed[i];
          returned.insert(obj.path);
          if (!covers(x.key, obj.path))
            report("list", "#" + std::to_string(x.id) + " returned " + obj.path
                             + ", which does not match " + x.key,
                   obj.path, {x.id});
          if ((o.created_from && obj.created < o.created_from)
              || (o.created_to && obj.created > o.created_to))
            report("list", "#" + std::to_string(x.id) + " returned " + obj.path
                             + " created outside the range asked for",
                   obj.path, {x.id});
          if (i > 0) {
            auto& prev = x.listed[i - 1];
            auto earlier = prev.created != obj.created ? prev.created < obj.created
                                                       : prev.path < obj.path;
            if (earlier != o.ascending)
              report("list", "#" + std::to_string(x.id) + " returned " + prev.path + " before "
                               + obj.path + ", against the order asked for",
                     obj.path, {x.id});
          }
          definite(x, obj);
        }
        if (o.limit == 0 && o.offset == 0 && o.created_from == 0 && o.created_to == 0)
          absent_others(x, x.key, returned);
        break;
      }
      case op_kind::keys: {
        if (!x.ok())
          break;
        std::set<std::string> returned(x.keys_listed.begin(), x.keys_listed.end());
        if (!std::is_sorted(x.keys_listed.begin(), x.keys_listed.end())
            || returned.size() != x.keys_listed.size())
          report("keys", "#" + std::to_string(x.id) + " returned keys unsorted or twice", x.key,
                 {x.id});
        for (auto& k : x.keys_listed)
          vague.push_back(vague_read{x.id, k, vague_read::present, 0});
        auto& o = x.lopts;
        if (o.limit == 0 && o.offset == 0 && o.created_from == 0 && o.created_to == 0)
          absent_others(x, x.key, returned);
        break;
      }
      default:
        break;
    }
  }
}

std::vector<violation> check(const check_input& in) {
  check_context ctx{in};
  ctx.check_keys();
  ctx.check_clients();
  ctx.check_events();
  return std::move(ctx.found);
}

} // namespace ooo::storage::model

#include <algorithm>

#include "caf/sec.hpp"

#include "tests/model/check_context.hpp"

namespace ooo::storage::model {

namespace {

/// The keys an op touches, as a pattern ("" = everything). A push touches only the key it
/// created.
std::string scope_of(const op& x) {
  if (x.kind == op_kind::push && x.ok())
    return x.written.key;
  return x.kind == op_kind::clear ? std::string{} : x.key;
}

bool matches_any(const std::vector<std::string>& patterns, const std::string& x) {
  return std::any_of(patterns.begin(), patterns.end(),
                     [&](const std::string& p) { return overlaps(p, x); });
}

/// A request refused for itself (its input, a hook that refuses it, a full lock queue) took no
/// effect: it is answered at once, not in its turn.
bool refused_outright(const op& x) {
  for (auto code : {errc::hook_failed, errc::invalid_path, errc::invalid_data, errc::invalid_limit,
                    errc::invalid_range, errc::glob_not_allowed, errc::glob_required,
                    errc::too_large, errc::cant_lock_glob, errc::limit_exceeded})
    if (x.failed_with(code))
      return true;
  return false;
}

bool releases_lock(const op& x) {
  return x.kind == op_kind::unlock || (x.kind == op_kind::set && x.wopts.unlock);
}

} // namespace

void check_context::check_clients() {
  // -- every request is answered, with an error it may get ------------------------------------
  for (auto& x : in.ops) {
    if (x.complete == 0) {
      report("no answer", describe(x), is_multi_key(x.kind) ? "" : x.key, {x.id});
      continue;
    }
    if (!x.error)
      continue;
    if (x.error == caf::sec::request_timeout) {
      report("no answer", "timed out: " + describe(x), is_multi_key(x.kind) ? "" : x.key, {x.id});
      continue;
    }
    bool allowed = false;
    auto code = [&](errc c) { return is(x.error, c); };
    bool read_hook = matches_any(in.failing_read_keys, scope_of(x)) && code(errc::hook_failed);
    switch (x.kind) {
      case op_kind::set:
        allowed = (code(errc::conflict) && x.wopts.expected_revision >= 0)
                  || (code(errc::lock_not_found) && (x.wopts.token != 0 || x.wopts.unlock || x.grant != 0))
                  || code(errc::limit_exceeded) || code(errc::persistence_failed);
        break;
      case op_kind::push:
      case op_kind::del_glob:
      case op_kind::del_glob_silent:
      case op_kind::clear:
        allowed = code(errc::persistence_failed);
        break;
      case op_kind::get:
        allowed = code(errc::not_found) || read_hook;
        break;
      case op_kind::get_lock:
        allowed = code(errc::not_found) || code(errc::limit_exceeded) || read_hook;
        break;
      case op_kind::del:
      case op_kind::del_silent:
        allowed = code(errc::not_found) || code(errc::limit_exceeded)
                  || code(errc::persistence_failed);
        break;
      case op_kind::list:
      case op_kind::keys:
        allowed = read_hook;
        break;
      case op_kind::lock:
        allowed = code(errc::limit_exceeded);
        break;
      case op_kind::unlock:
        allowed = code(errc::lock_not_found);
        break;
    }
    if (!allowed)
      report("unexpected error", describe(x), is_multi_key(x.kind) ? "" : x.key, {x.id});
  }
  // A lock queue may be full only while someone (the client itself included) holds the lock.
  for (auto& x : in.ops) {
    if (!x.failed_with(errc::limit_exceeded))
      continue;
    bool held = std::any_of(in.ops.begin(), in.ops.end(), [&](const op& g) {
      return (g.kind == op_kind::lock || g.kind == op_kind::get_lock) && g.key == x.key
             && g.ok() && g.invoke < x.complete;
    });
    if (!held)
      report("limit without a lock", "#" + std::to_string(x.id) + " (" + to_string(x.kind)
                                       + ") was refused with limit_exceeded while nobody else held "
                                       + "a lock on " + x.key,
             x.key, {x.id});
  }

  // -- a pipelining client's requests on overlapping keys complete in send order --------------
  std::map<int, std::vector<const op*>> by_client;
  for (auto& x : in.ops)
    if (x.pipelined)
      by_client[x.client].push_back(&x);
  for (auto& [client, xs] : by_client) {
    std::sort(xs.begin(), xs.end(), [](const op* a, const op* b) { return a->seq < b->seq; });
    for (size_t j = 0; j < xs.size(); ++j) {
      auto& b = *xs[j];
      // A push that failed never learned its key: nothing to order it against.
      bool unknown_key = b.kind == op_kind::push && !b.ok();
      if (b.complete == 0 || refused_outright(b) || unknown_key)
        continue;
      // Only requests still in flight when `b` was sent can have been answered after it.
      for (size_t i = j; i-- > 0 && j - i <= 4096;) {
        auto& a = *xs[i];
        // Equal ticks: answered together (one batch), in its order.
        if (a.complete == 0 || a.complete <= b.complete || (a.kind == op_kind::push && !a.ok()))
          continue;
        if (!overlaps(scope_of(a), scope_of(b)))
          continue;
        report("client order", "client " + std::to_string(client) + " sent #" + std::to_string(a.id)
                                 + " (" + to_string(a.kind) + " " + scope_of(a) + ") before #"
                                 + std::to_string(b.id) + " (" + to_string(b.kind) + " "
                                 + scope_of(b) + "), but #" + std::to_string(b.id)
                                 + " was answered first",
               is_multi_key(a.kind) ? (is_multi_key(b.kind) ? "" : b.key) : a.key, {a.id, b.id});
      }
    }
  }
  // ... and take effect in send order, key by key.
  std::map<std::pair<int, std::string>, std::vector<const position*>> effects;
  for (auto& p : positions) {
    auto& x = get(p.op);
    if (x.pipelined)
      effects[{x.client, p.key}].push_back(&p);
  }
  for (auto& [who, ps] : effects) {
    std::sort(ps.begin(), ps.end(),
              [&](const position* a, const position* b) { return get(a->op).seq < get(b->op).seq; });
    // The newest version written or read so far, and by whom.
    size_t max_write = 0, max_read = 0;
    uint64_t by_write = 0, by_read = 0;
    bool any_write = false;
    for (auto* p : ps) {
      auto& kv = keys[p->key];
      bool behind = p->write ? (any_write && p->index <= max_write) || p->index < max_read
                             : (any_write && p->index < max_write) || p->index < max_read;
      if (behind) {
        auto other = (any_write && max_write >= max_read) ? by_write : by_read;
        report("client order",
               "client " + std::to_string(who.first) + " sent #" + std::to_string(other) + " ("
                 + to_string(get(other).kind) + ") before #" + std::to_string(p->op) + " ("
                 + to_string(get(p->op).kind) + "), but #" + std::to_string(p->op)
                 + (p->write ? " wrote " : " read ") + p->key + " @"
                 + std::to_string(kv.versions[p->index].revision) + ", older than what #"
                 + std::to_string(other) + " saw or wrote",
               p->key, {other, p->op});
        break;
      }
      if (p->write) {
        if (!any_write || p->index > max_write) {
          max_write = p->index;
          by_write = p->op;
        }
        any_write = true;
      } else if (p->index > max_read || by_read == 0) {
        max_read = p->index;
        by_read = p->op;
      }
    }
  }

  // -- locks are mutual exclusion ---------------------------------------------------------------
  for (auto& x : in.ops) {
    if (x.grant == 0 || !x.ok())
      continue;
    auto& g = get(x.grant);
    if (!g.ok())
      continue;
    auto& kv = keys[x.key];
    // Between the grant and this write, only the holder changes the key.
    if (x.kind == op_kind::set) {
      size_t from = 0;
      if (g.kind == op_kind::get_lock && kv.by_revision.count(g.read.revision))
        from = kv.by_revision[g.read.revision];
      size_t to = kv.versions.size();
      for (size_t i = 0; i < kv.versions.size(); ++i)
        if (kv.versions[i].writer == x.id)
          to = i;
      for (size_t i = from + 1; i < to; ++i) {
        auto& v = kv.versions[i];
        if (g.kind == op_kind::lock && v.tick <= g.complete)
          continue;
        auto holder = v.writer != 0 && get(v.writer).grant == g.id;
        // Glob deletes and `clear` ignore locks, as the seed's do (a design decision).
        auto administrative = v.writer != 0
                              && (get(v.writer).kind == op_kind::del_glob
                                  || get(v.writer).kind == op_kind::del_glob_silent
                                  || get(v.writer).kind == op_kind::clear);
        if (!holder && !administrative) {
          report("mutual exclusion", "#" + std::to_string(v.writer) + " changed " + x.key + " @"
                                       + std::to_string(v.revision) + " while #"
                                       + std::to_string(g.id) + " held its lock (used by #"
                                       + std::to_string(x.id) + ")",
                 x.key, {g.id, v.writer, x.id});
          break;
        }
      }
    }
    // No other holder was granted between this grant and its release.
    if (releases_lock(x)) {
      for (auto& other : in.ops) {
        if ((other.kind != op_kind::lock && other.kind != op_kind::get_lock) || !other.ok()
            || other.key != x.key || other.id == g.id)
          continue;
        if (other.invoke > g.complete && other.complete < x.invoke)
          report("mutual exclusion", "#" + std::to_string(other.id) + " was granted " + x.key
                                       + " after #" + std::to_string(g.id)
                                       + " and before its release #" + std::to_string(x.id)
                                       + " (which succeeded)",
                 x.key, {g.id, other.id, x.id});
      }
    }
  }
  // Without leases running out, a holder's own release is never refused.
  if (!in.leases_may_expire)
    for (auto& x : in.ops)
      if (x.grant != 0 && get(x.grant).ok() && x.failed_with(errc::lock_not_found))
        report("lock lost", "#" + std::to_string(x.id) + " (" + to_string(x.kind) + " " + x.key
                              + ") was refused with lock_not_found although #"
                              + std::to_string(x.grant) + " granted the lock and no lease ran out",
               x.key, {x.grant, x.id});
}

} // namespace ooo::storage::model

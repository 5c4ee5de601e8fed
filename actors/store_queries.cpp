#include <algorithm>
#include <numeric>

#include "actors/fan_out.hpp"
#include "actors/hook_call.hpp"
#include "actors/protocol.hpp"
#include "actors/store_state.hpp"
#include "messages/errc.hpp"
#include "messages/key.hpp"

namespace ooo::storage {

namespace {

caf::error check_list_options(const std::string& pattern, const list_options& opts) {
  if (opts.offset < 0 || opts.limit < 0)
    return make_error(errc::invalid_limit, pattern + ": offset and limit must not be negative");
  // offset + limit must fit: each shard returns its first offset + limit results.
  if (opts.offset > INT64_MAX / 2 || opts.limit > INT64_MAX / 2)
    return make_error(errc::invalid_limit, pattern + ": offset or limit too large");
  if (opts.created_from < 0 || opts.created_to < 0
      || (opts.created_from != 0 && opts.created_to != 0 && opts.created_from > opts.created_to))
    return make_error(errc::invalid_range, pattern + ": created range from "
                                             + std::to_string(opts.created_from) + " to "
                                             + std::to_string(opts.created_to));
  return {};
}

/// Per-shard options: every shard returns its first `offset + limit` results, the merge here
/// applies the offset. Without a limit, one more than `max_list` shows that the cap is exceeded.
list_options shard_options(const list_options& opts, size_t max_list) {
  auto result = opts;
  result.offset = 0;
  result.limit = opts.offset + (opts.limit > 0 ? opts.limit : static_cast<int64_t>(max_list) + 1);
  return result;
}

/// Applies offset and limit to the merged results; fails if a query without a limit has more
/// than `max_list` of them.
template <class T>
caf::expected<std::vector<T>> cut(std::vector<T> xs, const std::string& pattern,
                                  const list_options& opts, size_t max_list) {
  auto offset = std::min(xs.size(), static_cast<size_t>(opts.offset));
  xs.erase(xs.begin(), xs.begin() + static_cast<std::ptrdiff_t>(offset));
  if (opts.limit == 0 && xs.size() > max_list)
    return make_error(errc::limit_exceeded, pattern + ": more than " + std::to_string(max_list)
                                              + " results; ask with a limit");
  if (opts.limit > 0 && xs.size() > static_cast<size_t>(opts.limit))
    xs.resize(static_cast<size_t>(opts.limit));
  return xs;
}

/// Merges the shards' sorted parts into one list, by `created` (ties by key).
std::vector<object> merge(std::vector<std::vector<object>>& parts, const list_options& opts) {
  std::vector<object> all;
  all.reserve(std::accumulate(parts.begin(), parts.end(), size_t{0},
                              [](size_t n, const auto& part) { return n + part.size(); }));
  for (auto& part : parts)
    std::move(part.begin(), part.end(), std::back_inserter(all));
  auto before = [](const object& x, const object& y) {
    return x.created != y.created ? x.created < y.created : x.path < y.path;
  };
  if (opts.ascending)
    std::sort(all.begin(), all.end(), before);
  else
    std::sort(all.begin(), all.end(), [&](const object& x, const object& y) {
      return before(y, x);
    });
  return all;
}

/// Merges the shards' sorted parts into one sorted list of keys.
std::vector<std::string> merge(std::vector<std::vector<std::string>>& parts,
                               const list_options&) {
  std::vector<std::string> all;
  for (auto& part : parts)
    std::move(part.begin(), part.end(), std::back_inserter(all));
  std::sort(all.begin(), all.end());
  return all;
}

/// Fans a query out to every shard, merges the parts, applies offset, limit and the cap on
/// unlimited results, answers, and only then lets the shards release what the query held (the
/// client's later requests on covered keys must be answered after this one).
template <class T, class Atom>
caf::result<std::vector<T>> query(store_pointer self, Atom tag, std::string pattern,
                                  list_options opts) {
  auto& st = self->state;
  if (!st.active)
    return make_error(errc::not_active, pattern);
  if (auto err = check_list_options(pattern, opts))
    return err;
  // The seed calls `before_read` once per list query, with the pattern (not for keys).
  if (std::is_same<T, object>::value && st.opts->before_read) {
    auto failure = call_hook("before_read", pattern, [&] { st.opts->before_read(pattern); });
    if (!failure.empty())
      return make_error(errc::hook_failed, pattern + ": before_read threw: " + failure);
  }
  // Before `make_response_promise`, which moves the sender out of the current message.
  auto client = caf::actor_cast<caf::actor_addr>(self->current_sender());
  auto rp = self->make_response_promise<std::vector<T>>();
  auto max = st.opts->max_list;
  auto id = ++st.last_id;
  auto release = [self, id] {
    flush_routed(self);
    for (auto& shard : self->state.shards)
      caf::anon_send(shard, release_atom::value, id);
  };
  flush_routed(self);
  fan_out<std::vector<T>>(
    self, st.shards,
    [rp, pattern, opts, max, release](std::vector<std::vector<T>> parts) mutable {
      auto result = cut(merge(parts, opts), pattern, opts, max);
      if (result)
        rp.deliver(std::move(*result));
      else
        rp.deliver(std::move(result.error()));
      release();
    },
    [rp, release](caf::error& err) mutable {
      rp.deliver(std::move(err));
      release();
    },
    tag, pattern, shard_options(opts, max), client, id);
  return rp;
}

} // namespace

caf::result<std::vector<object>> run_list(store_pointer self, std::string pattern,
                                          list_options opts) {
  if (check_pattern(pattern) != errc::none)
    return make_error(errc::invalid_path, pattern);
  if (!is_glob(pattern))
    return make_error(errc::glob_required, pattern);
  return query<object>(self, list_atom::value, std::move(pattern), opts);
}

caf::result<std::vector<std::string>> run_keys(store_pointer self, std::string pattern,
                                               list_options opts) {
  if (!pattern.empty() && check_pattern(pattern) != errc::none)
    return make_error(errc::invalid_path, pattern);
  return query<std::string>(self, keys_atom::value, std::move(pattern), opts);
}

} // namespace ooo::storage

#include "actors/options.hpp"

#include <algorithm>
#include <thread>

#include "messages/clock.hpp"
#include "messages/key.hpp"

namespace ooo::storage {

size_t shard_count(const options& opts) {
  if (opts.shards > 0)
    return opts.shards;
  return std::max<size_t>(2, std::thread::hardware_concurrency());
}

bool muted(const options& opts, std::string_view key) {
  for (auto& pattern : opts.no_broadcast_keys)
    if (matches(pattern, key))
      return true;
  return false;
}

int64_t now(const options& opts) {
  return opts.clock ? opts.clock() : next_timestamp();
}

} // namespace ooo::storage

#include "actors/options.hpp"

#include <algorithm>
#include <thread>

namespace ooo::storage {

size_t shard_count(const options& opts) {
  if (opts.shards > 0)
    return opts.shards;
  return std::max<size_t>(2, std::thread::hardware_concurrency());
}

} // namespace ooo::storage

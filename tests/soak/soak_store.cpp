#include "tests/soak/soak_store.hpp"

#include <chrono>

#include "persistence/rocksdb_adapter.hpp"
#include "tests/soak/failures.hpp"

namespace ooo::storage::soak {

std::unique_ptr<layered> open_store(const std::string& dir, const options& opts) {
  auto adapter = rocksdb_adapter::open(dir, durability::async);
  if (!adapter) {
    fail("open " + dir + ": " + text(adapter.error()));
    return nullptr;
  }
  layered_config cfg;
  cfg.persistent = std::move(*adapter);
  cfg.mode = durability::async;
  auto store = std::make_unique<layered>(std::move(cfg), opts);
  store->timeout(std::chrono::seconds{30});
  if (auto ok = store->start(); !ok) {
    fail("start: " + text(ok.error()));
    return nullptr;
  }
  return store;
}

std::map<std::string, object> snapshot(layered& store) {
  std::map<std::string, object> result;
  auto keys = store.keys("");
  if (!keys) {
    fail("keys: " + text(keys.error()));
    return result;
  }
  for (auto& key : *keys) {
    auto obj = store.get(key);
    if (!obj)
      fail("get " + key + ": " + text(obj.error()));
    else
      result.emplace(key, std::move(*obj));
  }
  return result;
}

} // namespace ooo::storage::soak

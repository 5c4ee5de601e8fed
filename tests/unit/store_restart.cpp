#define CAF_SUITE store_restart
#include "caf/test/dsl.hpp"

#include <filesystem>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <rocksdb/db.h>

#include "actors/layered.hpp"
#include "messages/errc.hpp"
#include "persistence/record_codec.hpp"
#include "persistence/rocksdb_adapter.hpp"
#include "tests/unit/value_of.hpp"

using namespace ooo::storage;
using ooo::storage::test::value_of;

namespace {

/// A fresh data directory, removed when the test ends.
struct data_dir {
  std::string path;
  data_dir() {
    char tmpl[] = "/tmp/ooo-store-restart-XXXXXX";
    path = mkdtemp(tmpl);
  }
  ~data_dir() {
    std::filesystem::remove_all(path);
  }
};

/// A facade on RocksDB in `dir`; CAF_REQUIREs that start succeeds unless told otherwise.
std::unique_ptr<layered> open_store(const std::string& dir, durability mode = durability::sync) {
  auto adapter = rocksdb_adapter::open(dir, mode);
  CAF_REQUIRE(adapter);
  layered_config cfg;
  cfg.persistent = std::move(*adapter);
  cfg.mode = mode;
  options opts;
  opts.shards = 4;
  return std::make_unique<layered>(std::move(cfg), opts);
}

std::map<std::string, object> snapshot(layered& store) {
  std::map<std::string, object> result;
  auto keys = store.keys("");
  CAF_REQUIRE(keys);
  for (auto& key : *keys) {
    auto obj = store.get(key);
    CAF_REQUIRE(obj);
    result.emplace(key, *obj);
  }
  return result;
}

void put_raw(const std::string& dir, const std::string& key, const std::string& value) {
  rocksdb::DB* db = nullptr;
  rocksdb::Options opts;
  opts.create_if_missing = true;
  CAF_REQUIRE(rocksdb::DB::Open(opts, dir, &db).ok());
  CAF_REQUIRE(db->Put(rocksdb::WriteOptions{}, key, value).ok());
  delete db;
}

std::string text(const object& obj) {
  return std::string(obj.data.begin(), obj.data.end());
}

} // namespace

CAF_TEST(a restart reproduces every key and field and the revision counter) {
  data_dir dir;
  std::map<std::string, object> before;
  uint64_t revision = 0;
  std::string pushed;
  {
    auto store = open_store(dir.path);
    CAF_REQUIRE(store->start());
    CAF_REQUIRE(store->set("users/1", R"({"name":"ada"})"));
    CAF_REQUIRE(store->set("users/1", R"({"name":"ada lovelace"})"));
    CAF_REQUIRE(store->set("users/2", "two"));
    CAF_REQUIRE(store->set_with_meta("import/x", "old", 1000, 2000));
    auto index = store->push("log/*", "entry");
    CAF_REQUIRE(index);
    pushed = "log/" + *index;
    CAF_REQUIRE(store->set("gone/1", "x"));
    CAF_REQUIRE(store->del("gone/1"));
    CAF_REQUIRE(store->set("many/1", "x"));
    CAF_REQUIRE(store->set("many/2", "x"));
    CAF_REQUIRE_EQUAL(*store->del("many/*"), 2u);
    before = snapshot(*store);
    revision = store->stats()->revision;
    CAF_CHECK_EQUAL(revision, 11u); // 9 writes, then one revision per key of the glob delete
  }
  auto store = open_store(dir.path);
  CAF_REQUIRE(store->start());
  auto after = snapshot(*store);
  CAF_CHECK_EQUAL(after.size(), 4u);
  CAF_CHECK(after == before);
  CAF_CHECK_EQUAL(after["import/x"].created, 1000);
  CAF_CHECK_EQUAL(after["import/x"].updated, 2000);
  CAF_CHECK_EQUAL(text(after["users/1"]), R"({"name":"ada lovelace"})");
  CAF_CHECK(after["users/1"].updated > after["users/1"].created);
  CAF_CHECK_EQUAL(after.count(pushed), 1u);
  CAF_CHECK_EQUAL(value_of(store->stats()).revision, revision);
  auto next = store->write("users/3", bytes{'3'});
  CAF_REQUIRE(next);
  CAF_CHECK_EQUAL(next->revision, revision + 1);
}

CAF_TEST(a corrupt record stops start naming the key) {
  data_dir dir;
  {
    auto store = open_store(dir.path);
    CAF_REQUIRE(store->start());
    CAF_REQUIRE(store->set("users/1", "fine"));
  }
  put_raw(dir.path, "users/bad", "\x93garbage");
  auto store = open_store(dir.path);
  auto started = store->start();
  CAF_REQUIRE(!started);
  CAF_CHECK(is(started.error(), errc::corrupt_record));
  CAF_CHECK(render(started.error()).find("users/bad") != std::string::npos);
  CAF_CHECK(render(started.error()).find(dir.path) != std::string::npos);
  CAF_CHECK(is(store->get("users/1").error(), errc::not_active));
}

CAF_TEST(an unknown record format stops start naming the key) {
  data_dir dir;
  object obj;
  obj.path = "users/7";
  obj.created = 1;
  obj.data = bytes{'x'};
  auto value = encode_record(obj);
  // The first element of the record array is the format version: 1 -> 7.
  CAF_REQUIRE_EQUAL(static_cast<int>(value[1]), 1);
  value[1] = 7;
  put_raw(dir.path, "users/7", value);
  auto store = open_store(dir.path);
  auto started = store->start();
  CAF_REQUIRE(!started);
  CAF_CHECK(is(started.error(), errc::corrupt_record));
  CAF_CHECK(render(started.error()).find("users/7") != std::string::npos);
  CAF_CHECK(render(started.error()).find("format") != std::string::npos);
}

CAF_TEST(concurrent writers to one key leave memory and disk equal) {
  data_dir dir;
  object in_memory;
  {
    auto store = open_store(dir.path, durability::async);
    CAF_REQUIRE(store->start());
    std::vector<std::thread> writers;
    for (int t = 0; t < 8; ++t)
      writers.emplace_back([&, t] {
        for (int i = 0; i < 100; ++i) {
          auto data = std::to_string(t) + ":" + std::to_string(i);
          auto result = store->set("hot", data);
          if (!result)
            CAF_FAIL("set failed: " << render(result.error()));
        }
      });
    for (auto& w : writers)
      w.join();
    in_memory = *store->get("hot");
    CAF_CHECK_EQUAL(in_memory.revision, 800u);
    CAF_CHECK_EQUAL(value_of(store->stats()).revision, 800u);
  }
  auto store = open_store(dir.path, durability::async);
  CAF_REQUIRE(store->start());
  auto on_disk = store->get("hot");
  CAF_REQUIRE(on_disk);
  CAF_CHECK(*on_disk == in_memory);
}

CAF_TEST(writes after close are refused and close flushes what was answered) {
  data_dir dir;
  {
    auto store = open_store(dir.path, durability::async);
    CAF_REQUIRE(store->start());
    for (int i = 0; i < 200; ++i)
      CAF_REQUIRE(store->set("k/" + std::to_string(i), "v"));
    CAF_REQUIRE(store->close());
    CAF_CHECK(is(store->set("k/x", "v").error(), errc::not_active));
  }
  auto store = open_store(dir.path, durability::async);
  CAF_REQUIRE(store->start());
  CAF_CHECK_EQUAL(value_of(store->keys("k/*")).size(), 200u);
}

CAF_TEST(subscribers resume across a restart from the retained history) {
  data_dir dir;
  {
    auto store = open_store(dir.path);
    CAF_REQUIRE(store->start());
    for (int i = 1; i <= 5; ++i)
      CAF_REQUIRE(store->set("users/" + std::to_string(i), "v" + std::to_string(i)));
    CAF_REQUIRE(store->del_silent("users/5"));
    CAF_REQUIRE(store->del("users/4"));
  }
  auto store = open_store(dir.path);
  CAF_REQUIRE(store->start());
  std::mutex mtx;
  std::vector<event> got;
  subscribe_options opts;
  opts.resume = true;
  opts.since = 2;
  auto w = store->watch("users/*", [&](const event& ev) {
    std::lock_guard<std::mutex> guard{mtx};
    got.push_back(ev);
  }, opts);
  CAF_REQUIRE(w);
  CAF_REQUIRE(store->set("users/8", "live"));
  for (int i = 0; i < 500; ++i) {
    {
      std::lock_guard<std::mutex> guard{mtx};
      if (got.size() >= 5)
        break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  std::lock_guard<std::mutex> guard{mtx};
  // Sets are revisions 1-5, the silent delete of users/5 is 6 (hidden: never in the history),
  // the delete of users/4 is 7, the live set is 8.
  CAF_REQUIRE_EQUAL(got.size(), 5u);
  CAF_CHECK_EQUAL(got[0].revision, 3u);
  CAF_CHECK_EQUAL(text(*got[0].value), "v3");
  CAF_CHECK_EQUAL(got[1].revision, 4u);
  CAF_CHECK_EQUAL(got[2].revision, 5u);
  CAF_CHECK_EQUAL(got[3].revision, 7u);
  CAF_CHECK(got[3].op == event_op::del);
  CAF_CHECK_EQUAL(got[3].key, "users/4");
  CAF_CHECK_EQUAL(got[4].revision, 8u);
  CAF_CHECK_EQUAL(got[4].key, "users/8");
}

CAF_TEST(a glob delete resumed after a restart is still one unit) {
  data_dir dir;
  {
    auto store = open_store(dir.path);
    CAF_REQUIRE(store->start());
    for (int i = 1; i <= 4; ++i)
      CAF_REQUIRE(store->set("users/" + std::to_string(i), "v"));
    CAF_REQUIRE_EQUAL(value_of(store->del("users/*")), 4u);
  }
  auto store = open_store(dir.path);
  CAF_REQUIRE(store->start());
  std::mutex mtx;
  std::vector<event> got;
  subscribe_options opts;
  opts.resume = true;
  opts.since = 4;
  auto w = store->watch("users/*", [&](const event& ev) {
    std::lock_guard<std::mutex> guard{mtx};
    got.push_back(ev);
  }, opts);
  CAF_REQUIRE(w);
  for (int i = 0; i < 500; ++i) {
    {
      std::lock_guard<std::mutex> guard{mtx};
      if (got.size() >= 4)
        break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  std::lock_guard<std::mutex> guard{mtx};
  CAF_REQUIRE_EQUAL(got.size(), 4u);
  for (auto& ev : got) {
    CAF_CHECK(ev.op == event_op::del);
    CAF_CHECK_EQUAL(ev.unit, 8u);
  }
}

CAF_TEST(the history on disk is bounded by bytes too and a restart knows what is gone) {
  data_dir dir;
  options opts;
  opts.shards = 2;
  opts.history_events = 1000;
  // Each entry of a 1000-byte value costs a little over 1000 bytes: about four fit.
  opts.history_bytes = 4500;
  std::string big(1000, 'x');
  {
    auto adapter = rocksdb_adapter::open(dir.path, durability::sync);
    CAF_REQUIRE(adapter);
    layered store{layered_config{std::move(*adapter), durability::sync}, opts};
    CAF_REQUIRE(store.start());
    for (int i = 1; i <= 10; ++i)
      CAF_REQUIRE(store.set("users/" + std::to_string(i), big));
  }
  auto adapter = rocksdb_adapter::open(dir.path, durability::sync);
  CAF_REQUIRE(adapter);
  layered store{layered_config{std::move(*adapter), durability::sync}, opts};
  CAF_REQUIRE(store.start());
  // Only the newest four survived on disk; resuming before them is refused, not silently short.
  CAF_CHECK_EQUAL(value_of(store.stats()).history, 4u);
  subscribe_options old;
  old.resume = true;
  old.since = 5;
  auto refused = store.watch("users/*", [](const event&) {}, old);
  CAF_REQUIRE(!refused);
  CAF_CHECK(is(refused.error(), errc::compacted));
  CAF_CHECK(render(refused.error()).find("resume from is 6") != std::string::npos);
  std::mutex mtx;
  std::vector<uint64_t> got;
  old.since = 6;
  auto w = store.watch("users/*", [&](const event& ev) {
    std::lock_guard<std::mutex> guard{mtx};
    got.push_back(ev.revision);
  }, old);
  CAF_REQUIRE(w);
  for (int i = 0; i < 500; ++i) {
    {
      std::lock_guard<std::mutex> guard{mtx};
      if (got.size() >= 4)
        break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  std::lock_guard<std::mutex> guard{mtx};
  CAF_CHECK_EQUAL(got, (std::vector<uint64_t>{7, 8, 9, 10}));
}

CAF_TEST(a resume older than the retained history after a restart is compacted) {
  data_dir dir;
  options opts;
  opts.shards = 2;
  opts.history_events = 3;
  {
    auto adapter = rocksdb_adapter::open(dir.path, durability::sync);
    CAF_REQUIRE(adapter);
    layered store{layered_config{std::move(*adapter), durability::sync}, opts};
    CAF_REQUIRE(store.start());
    for (int i = 1; i <= 10; ++i)
      CAF_REQUIRE(store.set("users/" + std::to_string(i), "v"));
  }
  auto adapter = rocksdb_adapter::open(dir.path, durability::sync);
  CAF_REQUIRE(adapter);
  layered store{layered_config{std::move(*adapter), durability::sync}, opts};
  CAF_REQUIRE(store.start());
  subscribe_options old;
  old.resume = true;
  old.since = 5;
  auto w = store.watch("users/*", [](const event&) {}, old);
  CAF_REQUIRE(!w);
  CAF_CHECK(is(w.error(), errc::compacted));
  CAF_CHECK(render(w.error()).find("resume from is 7") != std::string::npos);
  CAF_CHECK_EQUAL(value_of(store.stats()).history, 3u);
}

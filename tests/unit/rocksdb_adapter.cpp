#define CAF_SUITE rocksdb_adapter
#include "caf/test/dsl.hpp"

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <rocksdb/db.h>

#include "messages/errc.hpp"
#include "tests/support/faulty_adapter.hpp"
#include "persistence/record_codec.hpp"
#include "persistence/rocksdb_adapter.hpp"

using namespace ooo::storage;

namespace {

object make_object(const std::string& key, const std::string& data, uint64_t revision) {
  object x;
  x.created = 1'000 + static_cast<int64_t>(revision);
  x.updated = revision % 2 == 0 ? 2'000 + static_cast<int64_t>(revision) : 0;
  x.revision = revision;
  x.path = key;
  x.data.assign(data.begin(), data.end());
  return x;
}

change put(const std::string& key, const std::string& data, uint64_t revision) {
  return change{key, true, make_object(key, data, revision)};
}

change del(const std::string& key) {
  return change{key, false, object{}};
}

/// Like `is`, but also safe for an empty error (CAF 0.17's `error::category()` requires
/// `err != none`).
bool failed_with(const caf::error& err, errc x) {
  return err && is(err, x);
}

bool contains(const caf::error& err, const std::string& what) {
  return err && render(err).find(what) != std::string::npos;
}

/// Everything `load` produced.
struct loaded {
  caf::error err;
  std::map<std::string, object> records;
  uint64_t last_revision = 0;
};

loaded load_all(adapter& db) {
  loaded result;
  result.last_revision = 12345; // must be overwritten
  result.err = db.load(
    [&](object&& x) {
      auto key = x.path;
      if (!result.records.emplace(key, std::move(x)).second)
        CAF_FAIL("key loaded twice: " << key);
    },
    result.last_revision);
  return result;
}

/// Writes raw key/value pairs straight into RocksDB, bypassing the adapter.
void raw_put(const std::string& dir, const std::string& key, const std::string& value) {
  rocksdb::Options options;
  options.create_if_missing = true;
  rocksdb::DB* db = nullptr;
  auto status = rocksdb::DB::Open(options, dir, &db);
  CAF_REQUIRE(status.ok());
  std::unique_ptr<rocksdb::DB> guard{db};
  CAF_REQUIRE(db->Put(rocksdb::WriteOptions{}, key, value).ok());
  CAF_REQUIRE(db->Close().ok());
}

struct fixture {
  std::string dir;

  fixture() {
    char tmpl[] = "/tmp/ooo-rocksdb-test-XXXXXX";
    auto path = mkdtemp(tmpl);
    CAF_REQUIRE(path != nullptr);
    dir = std::string{path} + "/data";
  }

  ~fixture() {
    std::error_code ec;
    std::filesystem::remove_all(std::filesystem::path{dir}.parent_path(), ec);
  }

  std::unique_ptr<adapter> open(durability mode = durability::sync) {
    auto db = rocksdb_adapter::open(dir, mode);
    if (!db)
      CAF_FAIL("open failed: " << render(db.error()));
    return std::move(*db);
  }
};

} // namespace

CAF_TEST_FIXTURE_SCOPE(rocksdb_adapter_tests, fixture)

CAF_TEST(an empty store loads nothing with revision 0) {
  auto db = open();
  auto x = load_all(*db);
  CAF_CHECK(!x.err);
  CAF_CHECK(x.records.empty());
  CAF_CHECK_EQUAL(x.last_revision, 0u);
  CAF_CHECK(std::filesystem::is_directory(dir));
}

CAF_TEST(write and load round trip) {
  auto db = open();
  std::string zeros("a\0b\0", 4);
  CAF_REQUIRE(!db->write({put("users/1", "{\"n\":1}", 1), put("users/2", zeros, 2),
                          put("rooms/a/topic", "hello", 3)},
                         3));
  auto x = load_all(*db);
  CAF_REQUIRE(!x.err);
  CAF_REQUIRE_EQUAL(x.records.size(), 3u);
  CAF_CHECK_EQUAL(x.last_revision, 3u);
  CAF_CHECK(x.records["users/1"] == make_object("users/1", "{\"n\":1}", 1));
  CAF_CHECK(x.records["users/2"] == make_object("users/2", zeros, 2));
  CAF_CHECK(x.records["rooms/a/topic"] == make_object("rooms/a/topic", "hello", 3));
}

CAF_TEST(overwrite and delete) {
  auto db = open(durability::async);
  CAF_REQUIRE(!db->write({put("a", "1", 1), put("b", "2", 2), put("c", "3", 3)}, 3));
  CAF_REQUIRE(!db->write({put("a", "one", 4), del("b"), del("missing")}, 6));
  auto x = load_all(*db);
  CAF_REQUIRE(!x.err);
  CAF_CHECK_EQUAL(x.records.size(), 2u);
  CAF_CHECK_EQUAL(x.records.count("b"), 0u);
  CAF_CHECK(x.records["a"] == make_object("a", "one", 4));
  CAF_CHECK(x.records["c"] == make_object("c", "3", 3));
  CAF_CHECK_EQUAL(x.last_revision, 6u);
}

CAF_TEST(records and last revision persist across reopen) {
  for (auto mode : {durability::sync, durability::async}) {
    CAF_MESSAGE("mode " << to_string(mode));
    std::filesystem::remove_all(dir);
    {
      auto db = open(mode);
      CAF_REQUIRE(!db->write({put("users/1", "x", 1)}, 1));
      CAF_REQUIRE(!db->write({put("users/2", "y", 2), del("users/1")}, 3));
      // A batch of only deletions still moves the revision counter.
      CAF_REQUIRE(!db->write({del("users/nobody")}, 7));
    }
    auto db = open(mode);
    auto x = load_all(*db);
    CAF_REQUIRE(!x.err);
    CAF_CHECK_EQUAL(x.last_revision, 7u);
    CAF_REQUIRE_EQUAL(x.records.size(), 1u);
    CAF_CHECK(x.records["users/2"] == make_object("users/2", "y", 2));
  }
}

CAF_TEST(explicit close releases the directory) {
  auto db = open();
  CAF_REQUIRE(!db->write({put("k", "v", 1)}, 1));
  auto& concrete = static_cast<rocksdb_adapter&>(*db);
  CAF_CHECK_EQUAL(concrete.dir(), dir);
  CAF_CHECK(!concrete.close());
  CAF_CHECK(!concrete.close());
  auto err = db->write({put("k", "w", 2)}, 2);
  CAF_CHECK(failed_with(err, errc::persistence_failed));
  auto again = open();
  auto x = load_all(*again);
  CAF_CHECK(!x.err);
  CAF_CHECK_EQUAL(x.last_revision, 1u);
}

CAF_TEST(invalid keys are refused and nothing is written) {
  auto db = open();
  CAF_REQUIRE(!db->write({put("good", "v", 1)}, 1));
  for (auto key : {std::string("\0meta", 5), std::string{}, std::string{"/lead"},
                   std::string{"users/*"}}) {
    auto err = db->write({put("other", "v", 2), put(key, "v", 3)}, 3);
    CAF_CHECK(failed_with(err, errc::persistence_failed));
    CAF_CHECK(contains(err, "invalid key"));
  }
  auto x = load_all(*db);
  CAF_REQUIRE(!x.err);
  CAF_CHECK_EQUAL(x.records.size(), 1u);
  CAF_CHECK_EQUAL(x.last_revision, 1u);
}

CAF_TEST(a corrupt value stops load naming the key and the directory) {
  {
    auto db = open();
    CAF_REQUIRE(!db->write({put("users/1", "a", 1), put("users/3", "c", 2)}, 2));
  }
  raw_put(dir, "users/2", "definitely not msgpack");
  auto db = open();
  std::vector<std::string> seen;
  uint64_t last_revision = 0;
  auto err = db->load([&](object&& x) { seen.push_back(x.path); }, last_revision);
  CAF_REQUIRE(err);
  CAF_CHECK(failed_with(err, errc::corrupt_record));
  CAF_MESSAGE("error: " << render(err));
  CAF_CHECK_EQUAL(render(err),
                  "corrupt_record: record 'users/2' in " + dir + ": not a msgpack array");
  // Keys are visited in order, the scan stops at the bad one.
  CAF_CHECK_EQUAL(seen, std::vector<std::string>{"users/1"});
}

CAF_TEST(a record with an unknown format version is refused) {
  {
    auto db = open();
    CAF_REQUIRE(!db->write({put("users/1", "a", 1)}, 1));
  }
  std::string v7("\x95\x07\x01\x00\x01\xc4\x01x", 8);
  raw_put(dir, "users/1", v7);
  auto db = open();
  auto x = load_all(*db);
  CAF_REQUIRE(failed_with(x.err, errc::corrupt_record));
  CAF_CHECK_EQUAL(render(x.err),
                  "corrupt_record: record 'users/1' in " + dir + ": unknown format version 7");
}

CAF_TEST(metadata with an unknown format version is refused) {
  {
    auto db = open();
    CAF_REQUIRE(!db->write({put("users/1", "a", 1)}, 1));
  }
  raw_put(dir, std::string{rocksdb_adapter::meta_key}, std::string("\x92\x07\x05", 3));
  auto db = open();
  auto x = load_all(*db);
  CAF_REQUIRE(failed_with(x.err, errc::corrupt_record));
  CAF_CHECK_EQUAL(render(x.err),
                  "corrupt_record: metadata record in " + dir + ": unknown format version 7");
}

CAF_TEST(a stored key that breaks the key rules is refused) {
  {
    auto db = open();
    CAF_REQUIRE(!db->write({put("users/1", "a", 1)}, 1));
  }
  raw_put(dir, "bad//key", encode_record(make_object("bad//key", "v", 1)));
  auto db = open();
  auto x = load_all(*db);
  CAF_CHECK(failed_with(x.err, errc::corrupt_record));
  CAF_CHECK(contains(x.err, "record 'bad//key' in " + dir + ": not a valid key"));
}

CAF_TEST(last revision is never below a record revision) {
  {
    auto db = open();
    CAF_REQUIRE(!db->write({put("users/1", "a", 3)}, 3));
  }
  // As if the metadata record had been lost or were stale: a record claims revision 10.
  raw_put(dir, "users/2", encode_record(make_object("users/2", "b", 10)));
  auto db = open();
  auto x = load_all(*db);
  CAF_REQUIRE(!x.err);
  CAF_CHECK_EQUAL(x.records.size(), 2u);
  CAF_CHECK_EQUAL(x.last_revision, 10u);
}

CAF_TEST(opening the same directory twice fails at once) {
  auto first = open();
  auto start = std::chrono::steady_clock::now();
  auto second = rocksdb_adapter::open(dir, durability::sync);
  auto elapsed = std::chrono::steady_clock::now() - start;
  CAF_REQUIRE(!second);
  CAF_MESSAGE("error: " << render(second.error()));
  CAF_CHECK(failed_with(second.error(), errc::persistence_failed));
  CAF_CHECK(contains(second.error(), "data directory " + dir + " is in use by this process"));
  CAF_CHECK_LESS(elapsed, std::chrono::seconds{2});
  // The first one still works.
  CAF_CHECK(!first->write({put("k", "v", 1)}, 1));
}

CAF_TEST(a directory locked by another process fails at once) {
  { open(); } // creates the database and its LOCK file
  int ready[2];
  int release[2];
  CAF_REQUIRE(pipe(ready) == 0 && pipe(release) == 0);
  auto lock_file = dir + "/LOCK";
  auto child = fork();
  CAF_REQUIRE(child >= 0);
  if (child == 0) {
    // Only async-signal-safe calls: take RocksDB's fcntl lock, report, wait for the parent.
    close(ready[0]);
    close(release[1]);
    int fd = ::open(lock_file.c_str(), O_RDWR);
    struct flock fl {};
    fl.l_type = F_WRLCK;
    fl.l_whence = SEEK_SET;
    char ok = fd >= 0 && fcntl(fd, F_SETLK, &fl) == 0 ? '1' : '0';
    if (write(ready[1], &ok, 1) != 1)
      _exit(2);
    char c;
    while (read(release[0], &c, 1) > 0)
      ; // wait until the parent closes its end
    _exit(0);
  }
  close(ready[1]);
  close(release[0]);
  char ok = '0';
  CAF_REQUIRE(read(ready[0], &ok, 1) == 1);
  CAF_REQUIRE_EQUAL(ok, '1');
  auto start = std::chrono::steady_clock::now();
  auto db = rocksdb_adapter::open(dir, durability::sync);
  auto elapsed = std::chrono::steady_clock::now() - start;
  close(release[1]);
  close(ready[0]);
  int status = 0;
  waitpid(child, &status, 0);
  CAF_REQUIRE(!db);
  CAF_MESSAGE("error: " << render(db.error()));
  CAF_CHECK(failed_with(db.error(), errc::persistence_failed));
  CAF_CHECK(contains(db.error(), "data directory " + dir + " is in use by another process"));
  CAF_CHECK_LESS(elapsed, std::chrono::seconds{2});
  // Once the other process is gone, the directory opens again.
  auto again = rocksdb_adapter::open(dir, durability::sync);
  CAF_CHECK(again);
}

CAF_TEST(a directory that cannot be created fails naming it) {
  auto file = std::filesystem::path{dir}.parent_path() / "a-file";
  { std::FILE* f = std::fopen(file.c_str(), "w"); CAF_REQUIRE(f); std::fclose(f); }
  auto bad = (file / "data").string();
  auto db = rocksdb_adapter::open(bad, durability::sync);
  CAF_REQUIRE(!db);
  CAF_CHECK(failed_with(db.error(), errc::persistence_failed));
  CAF_CHECK(contains(db.error(), bad));
}

CAF_TEST_FIXTURE_SCOPE_END()

CAF_TEST(faulty adapter fails the nth write and applies nothing) {
  auto owner = std::make_unique<faulty_adapter>();
  auto ctl = owner->ctl();
  std::unique_ptr<adapter> db = std::move(owner);
  ctl->fail_nth_write(2);
  CAF_CHECK(!db->write({put("a", "1", 1)}, 1));
  auto err = db->write({put("b", "2", 2), del("a")}, 3);
  CAF_CHECK(failed_with(err, errc::persistence_failed));
  CAF_CHECK(contains(err, "injected fault"));
  CAF_CHECK_EQUAL(ctl->records(), 1u);
  auto x = load_all(*db);
  CAF_REQUIRE(!x.err);
  CAF_CHECK_EQUAL(x.last_revision, 1u);
  CAF_REQUIRE_EQUAL(x.records.size(), 1u);
  CAF_CHECK(x.records["a"] == make_object("a", "1", 1));
  // Only the second call fails.
  CAF_CHECK(!db->write({put("b", "2", 2), del("a")}, 3));
  CAF_CHECK_EQUAL(ctl->write_calls(), 3u);
  CAF_CHECK_EQUAL(ctl->failed_writes(), 1u);
  CAF_CHECK_EQUAL(ctl->records(), 1u);
  x = load_all(*db);
  CAF_CHECK_EQUAL(x.last_revision, 3u);
  CAF_CHECK_EQUAL(x.records.count("b"), 1u);
}

CAF_TEST(faulty adapter fails batches containing a key) {
  faulty_adapter db;
  auto ctl = db.ctl();
  ctl->fail_key("users/bad");
  CAF_CHECK(!db.write({put("users/good", "1", 1)}, 1));
  auto err = db.write({put("users/other", "2", 2), put("users/bad", "3", 3)}, 3);
  CAF_CHECK(failed_with(err, errc::persistence_failed));
  CAF_CHECK(contains(err, "users/bad"));
  CAF_CHECK(failed_with(db.write({del("users/bad")}, 4), errc::persistence_failed));
  auto x = load_all(db);
  CAF_CHECK_EQUAL(x.records.size(), 1u);
  CAF_CHECK_EQUAL(x.records.count("users/other"), 0u);
  CAF_CHECK_EQUAL(x.last_revision, 1u);
  ctl->clear_fail_key();
  CAF_CHECK(!db.write({put("users/bad", "3", 2)}, 2));
  CAF_CHECK_EQUAL(ctl->records(), 2u);
}

CAF_TEST(faulty adapter fails every write while told to) {
  faulty_adapter db;
  auto ctl = db.ctl();
  ctl->fail_every_write(true);
  for (uint64_t i = 1; i <= 3; ++i)
    CAF_CHECK(failed_with(db.write({put("k", "v", i)}, i), errc::persistence_failed));
  CAF_CHECK_EQUAL(ctl->records(), 0u);
  CAF_CHECK(load_all(db).records.empty());
  ctl->fail_every_write(false);
  CAF_CHECK(!db.write({put("k", "v", 4)}, 4));
  CAF_CHECK_EQUAL(ctl->failed_writes(), 3u);
  CAF_CHECK_EQUAL(ctl->records(), 1u);
  ctl->fail_load(true);
  CAF_CHECK(failed_with(load_all(db).err, errc::persistence_failed));
  ctl->reset();
  CAF_CHECK_EQUAL(ctl->write_calls(), 0u);
  CAF_CHECK(!load_all(db).err);
}

CAF_TEST(faulty adapter wrapping rocksdb applies nothing of a failed batch) {
  fixture f;
  auto ctl = std::make_shared<faulty_adapter::controls>();
  {
    std::unique_ptr<adapter> db
      = std::make_unique<faulty_adapter>(ctl, f.open(durability::sync));
    CAF_CHECK(!db->write({put("a", "1", 1), put("b", "2", 2)}, 2));
    ctl->fail_key("c");
    auto err = db->write({del("a"), put("c", "3", 3)}, 3);
    CAF_CHECK(failed_with(err, errc::persistence_failed));
    CAF_CHECK_EQUAL(ctl->records(), 2u);
  }
  auto db = f.open();
  auto x = load_all(*db);
  CAF_REQUIRE(!x.err);
  CAF_CHECK_EQUAL(x.last_revision, 2u);
  CAF_CHECK_EQUAL(x.records.size(), 2u);
  CAF_CHECK_EQUAL(x.records.count("a"), 1u);
  // load through a fresh wrapper counts the records already on disk
  faulty_adapter wrapped{std::move(db)};
  CAF_CHECK(!load_all(wrapped).err);
  CAF_CHECK_EQUAL(wrapped.ctl()->records(), 2u);
}

CAF_TEST(faulty adapter controls can change while another thread writes) {
  auto owner = std::make_unique<faulty_adapter>();
  auto ctl = owner->ctl();
  std::unique_ptr<adapter> db = std::move(owner);
  size_t failures = 0;
  std::thread writer{[&] {
    for (uint64_t i = 1; i <= 20000; ++i)
      if (db->write({put("k" + std::to_string(i % 10), "v", i)}, i))
        ++failures;
  }};
  for (int i = 0; i < 2000; ++i) {
    ctl->fail_every_write(i % 2 == 0);
    ctl->fail_key("k" + std::to_string(i % 10));
  }
  writer.join();
  CAF_CHECK_EQUAL(ctl->write_calls(), 20000u);
  CAF_CHECK_EQUAL(ctl->failed_writes(), failures);
}

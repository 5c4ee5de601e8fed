#define CAF_SUITE layered_facade
#define FAIL(msg) CAF_FAIL(msg)
#include "caf/test/dsl.hpp"

#include <atomic>
#include <set>
#include <thread>

#include "caf/all.hpp"

#include "actors/layered.hpp"
#include "messages/errc.hpp"
#include "messages/register_types.hpp"
#include "tests/support/faulty_adapter.hpp"
#include "tests/unit/store_fixture.hpp"
#include "tests/unit/value_of.hpp"

using namespace ooo::storage;
using ooo::storage::test::value_of;
using ooo::storage::test::failed_with;
using ooo::storage::test::to_str;

namespace {

using strings = std::vector<std::string>;

options with_shards(size_t n) {
  options opts;
  opts.shards = n;
  return opts;
}

} // namespace

CAF_TEST(many threads call the facade at once) {
  layered store{layered_config{}, with_shards(4)};
  CAF_REQUIRE(store.start());
  constexpr int threads = 8;
  constexpr int per_thread = 500;
  constexpr int shared_keys = 10;
  std::atomic<int> failures{0};
  std::vector<std::vector<std::string>> pushed(threads);
  auto fail = [&](const std::string& what) {
    if (failures++ < 10)
      CAF_MESSAGE("thread failure: " << what);
  };
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t)
    workers.emplace_back([&, t] {
      for (int i = 0; i < per_thread; ++i) {
        auto key = "t" + std::to_string(t) + "/k" + std::to_string(i);
        auto value = "v" + std::to_string(t) + "-" + std::to_string(i);
        auto idx = store.set(key, value);
        if (!idx || *idx != "k" + std::to_string(i))
          fail("set " + key);
        auto obj = store.get(key);
        if (!obj || to_str(obj->data) != value || obj->path != key)
          fail("get " + key);
        auto shared = "shared/s" + std::to_string(i % shared_keys);
        if (!store.set(shared, value))
          fail("set " + shared);
        auto seen = store.get(shared);
        if (!seen || seen->path != shared || to_str(seen->data).front() != 'v')
          fail("get " + shared);
        if (i % 25 == 0) {
          auto r = store.push_receipt("queue/*", value);
          if (!r)
            fail("push");
          else
            pushed[t].push_back(r->key);
        }
      }
    });
  for (auto& w : workers)
    w.join();
  CAF_CHECK_EQUAL(failures.load(), 0);
  for (int t = 0; t < threads; ++t) {
    auto keys = store.keys("t" + std::to_string(t) + "/*");
    CAF_REQUIRE(keys);
    CAF_CHECK_EQUAL(keys->size(), static_cast<size_t>(per_thread));
    // Each thread's pushes are in its own order.
    CAF_CHECK(std::is_sorted(pushed[t].begin(), pushed[t].end()));
  }
  // Every push made a distinct key, and the queue lists them oldest first in key order.
  std::vector<std::string> all_pushed;
  for (auto& xs : pushed)
    all_pushed.insert(all_pushed.end(), xs.begin(), xs.end());
  std::sort(all_pushed.begin(), all_pushed.end());
  CAF_CHECK_EQUAL(std::set<std::string>(all_pushed.begin(), all_pushed.end()).size(),
                  static_cast<size_t>(threads * per_thread / 25));
  auto queue = store.get_list("queue/*");
  CAF_REQUIRE(queue);
  strings queued;
  for (auto& obj : *queue)
    queued.push_back(obj.path);
  CAF_CHECK_EQUAL(queued, all_pushed);
  // Each shared key holds one of the values written to it.
  for (int s = 0; s < shared_keys; ++s) {
    auto obj = store.get("shared/s" + std::to_string(s));
    CAF_REQUIRE(obj);
    auto data = to_str(obj->data);
    auto dash = data.find('-');
    CAF_REQUIRE(dash != std::string::npos);
    CAF_CHECK_EQUAL(std::stoi(data.substr(dash + 1)) % shared_keys, s);
  }
  auto st = store.stats();
  CAF_REQUIRE(st);
  CAF_CHECK_EQUAL(st->keys, static_cast<uint64_t>(threads * per_thread + shared_keys
                                                  + threads * per_thread / 25));
  CAF_CHECK_EQUAL(st->revision, static_cast<uint64_t>(2 * threads * per_thread
                                                      + threads * per_thread / 25));
  CAF_CHECK(store.close());
}

CAF_TEST(the seed API in C++ names) {
  layered store{layered_config{}, with_shards(2)};
  CAF_CHECK(failed_with(store.set("a/1", "x"), errc::not_active));
  CAF_CHECK(!store.active());
  CAF_REQUIRE(store.start());
  CAF_CHECK(store.active());
  CAF_CHECK_EQUAL(value_of(store.set_with_meta("a/1", "one", 100, 0)), "1");
  CAF_CHECK_EQUAL(value_of(store.set_with_meta("a/2", "two", 200, 250)), "2");
  CAF_CHECK_EQUAL(value_of(store.set_with_meta("a/3", "three", 300, 0)), "3");
  auto paths = [](const caf::expected<std::vector<object>>& xs) {
    strings result;
    if (!xs)
      return strings{"<" + render(xs.error()) + ">"};
    for (auto& x : *xs)
      result.push_back(x.path);
    return result;
  };
  CAF_CHECK_EQUAL(paths(store.get_list("a/*")), (strings{"a/1", "a/2", "a/3"}));
  CAF_CHECK_EQUAL(paths(store.get_list_descending("a/*")), (strings{"a/3", "a/2", "a/1"}));
  CAF_CHECK_EQUAL(paths(store.get_n("a/*", 1, 1)), strings{"a/2"});
  CAF_CHECK_EQUAL(paths(store.get_n_ascending("a/*", 1, 5)), (strings{"a/2", "a/3"}));
  CAF_CHECK_EQUAL(paths(store.get_n_range("a/*", 10, 150, 300)), (strings{"a/3", "a/2"}));
  CAF_CHECK_EQUAL(value_of(store.keys_range("a/*", 0, 200)), (strings{"a/1", "a/2"}));
  CAF_CHECK(failed_with(store.get_n("a/*", -1, 1), errc::invalid_limit));
  CAF_CHECK(failed_with(store.get_n_range("a/*", 1, 300, 100), errc::invalid_range));
  CAF_CHECK(failed_with(store.get_list("a/1"), errc::glob_required));
  auto obj = store.get("a/2");
  CAF_REQUIRE(obj);
  CAF_CHECK_EQUAL(obj->created, 200);
  CAF_CHECK_EQUAL(obj->updated, 250);
  CAF_CHECK_EQUAL(value_of(store.del_silent("a/1")), 1u);
  CAF_CHECK_EQUAL(value_of(store.del("a/*")), 2u);
  CAF_CHECK(failed_with(store.del("a/1"), errc::not_found));
  CAF_CHECK(store.set("b/1", "x"));
  CAF_CHECK_EQUAL(value_of(store.clear()), 1u);
  CAF_REQUIRE(store.close());
  CAF_CHECK(!store.active());
  CAF_CHECK(failed_with(store.get("b/1"), errc::not_active));
  CAF_CHECK(failed_with(store.lock("b/1"), errc::not_active));
}

CAF_TEST(facade locks keep other writers out until unlock) {
  layered store{layered_config{}, with_shards(2)};
  CAF_REQUIRE(store.start());
  CAF_REQUIRE(store.set("acct/1", "100"));
  CAF_REQUIRE(store.lock("acct/1"));
  // Another actor writing without the token waits.
  caf::scoped_actor other{store.system()};
  auto pending = other->request(store.handle(), std::chrono::seconds{5}, set_atom::value,
                                std::string{"acct/1"}, bytes{'o', 't', 'h', 'e', 'r'},
                                write_options{});
  // The thread holding the lock writes with its token.
  CAF_CHECK(store.set("acct/1", "90"));
  CAF_CHECK_EQUAL(to_str(store.get("acct/1")->data), "90");
  std::this_thread::sleep_for(std::chrono::milliseconds{50});
  CAF_CHECK_EQUAL(to_str(store.get("acct/1")->data), "90");
  CAF_REQUIRE(store.unlock("acct/1"));
  bool answered = false;
  pending.receive([&](receipt&) { answered = true; },
                  [&](caf::error& err) { CAF_FAIL("other writer: " << render(err)); });
  CAF_CHECK(answered);
  CAF_CHECK_EQUAL(to_str(store.get("acct/1")->data), "other");
  CAF_CHECK(failed_with(store.unlock("acct/1"), errc::lock_not_found));
  CAF_CHECK(failed_with(store.set_and_unlock("acct/1", "x"), errc::lock_not_found));
  auto grant = store.get_and_lock("acct/1");
  CAF_REQUIRE(grant);
  CAF_CHECK_EQUAL(to_str(grant->data), "other");
  CAF_CHECK_EQUAL(value_of(store.set_and_unlock("acct/1", "80")), "1");
  CAF_CHECK(failed_with(store.unlock("acct/1"), errc::lock_not_found));
  CAF_CHECK(failed_with(store.lock("acct/*"), errc::cant_lock_glob));
  CAF_CHECK_EQUAL(to_str(store.get("acct/1")->data), "80");
}

CAF_TEST(a facade lock is a mutex between the threads that use it) {
  layered store{layered_config{}, with_shards(2)};
  CAF_REQUIRE(store.start());
  CAF_REQUIRE(store.set("ctr/1", "0"));
  // The seed's pattern from several threads of one facade: read under the lock, write the
  // increment and release. Every increment counts only if the lock excludes the others.
  constexpr int threads = 4;
  constexpr int rounds = 50;
  std::atomic<int> failures{0};
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t)
    workers.emplace_back([&] {
      for (int i = 0; i < rounds; ++i) {
        auto obj = store.get_and_lock("ctr/1");
        if (!obj) {
          ++failures;
          continue;
        }
        auto n = std::stoi(to_str(obj->data));
        if (!store.set_and_unlock("ctr/1", std::to_string(n + 1)))
          ++failures;
      }
    });
  for (auto& w : workers)
    w.join();
  CAF_CHECK_EQUAL(failures.load(), 0);
  CAF_CHECK_EQUAL(to_str(value_of(store.get("ctr/1")).data), std::to_string(threads * rounds));
}

CAF_TEST(another thread of the facade waits for a lock it does not hold) {
  layered store{layered_config{}, with_shards(2)};
  CAF_REQUIRE(store.start());
  CAF_REQUIRE(store.set("doc/1", "a"));
  CAF_REQUIRE(store.lock("doc/1"));
  std::atomic<bool> written{false};
  std::thread other{[&] {
    CAF_CHECK(failed_with(store.unlock("doc/1"), errc::lock_not_found));
    CAF_CHECK(store.set("doc/1", "other"));
    written = true;
  }};
  std::this_thread::sleep_for(std::chrono::milliseconds{100});
  CAF_CHECK(!written.load());
  CAF_CHECK(store.set("doc/1", "holder"));
  CAF_REQUIRE(store.unlock("doc/1"));
  other.join();
  CAF_CHECK(written.load());
  CAF_CHECK_EQUAL(to_str(value_of(store.get("doc/1")).data), "other");
}

CAF_TEST(watch delivers until stopped) {
  layered store{layered_config{}, with_shards(2)};
  CAF_REQUIRE(store.start());
  std::mutex mtx;
  strings seen;
  auto w = store.watch("users/*", [&](const event& ev) {
    std::lock_guard<std::mutex> guard{mtx};
    seen.push_back(std::string{to_string(ev.op)} + " " + ev.key);
  });
  CAF_REQUIRE(w);
  CAF_REQUIRE(store.set("users/1", "a"));
  CAF_REQUIRE(store.set("rooms/1", "a"));
  CAF_REQUIRE(store.del("users/1"));
  auto count = [&] {
    std::lock_guard<std::mutex> guard{mtx};
    return seen.size();
  };
  for (int i = 0; i < 500 && count() < 2; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds{2});
  {
    std::lock_guard<std::mutex> guard{mtx};
    CAF_CHECK_EQUAL(seen, (strings{"set users/1", "del users/1"}));
  }
  w->stop();
  for (int i = 0; i < 100; ++i) {
    auto st = store.stats();
    if (st && st->subscribers == 0)
      break;
    std::this_thread::sleep_for(std::chrono::milliseconds{2});
  }
  CAF_CHECK_EQUAL(value_of(store.stats()).subscribers, 0u);
  CAF_REQUIRE(store.set("users/2", "b"));
  std::this_thread::sleep_for(std::chrono::milliseconds{20});
  CAF_CHECK_EQUAL(count(), 2u);
}

CAF_TEST(a facade inside an existing actor system) {
  caf::actor_system_config cfg;
  register_types(cfg);
  caf::actor_system sys{cfg};
  {
    layered store{sys, layered_config{}, with_shards(2)};
    CAF_REQUIRE(store.start());
    CAF_CHECK(store.set("k", "v"));
    CAF_CHECK_EQUAL(to_str(store.get("k")->data), "v");
  }
  // The facade stopped what it spawned: the system shuts down without waiting.
}

CAF_TEST(facade reports persistence failures) {
  auto owner = std::make_unique<faulty_adapter>();
  auto ctl = owner->ctl();
  layered_config cfg;
  cfg.persistent = std::move(owner);
  layered store{std::move(cfg), with_shards(2)};
  CAF_REQUIRE(store.start());
  CAF_REQUIRE(store.set("k", "v"));
  ctl->fail_every_write(true);
  CAF_CHECK(failed_with(store.set("k", "w"), errc::persistence_failed));
  CAF_CHECK(failed_with(store.del("k"), errc::persistence_failed));
  CAF_CHECK_EQUAL(to_str(store.get("k")->data), "v");
  ctl->fail_every_write(false);
  CAF_CHECK(store.set("k", "w"));
  CAF_CHECK_EQUAL(ctl->records(), 1u);
  CAF_CHECK_EQUAL(value_of(store.stats()).durability, "sync");
}

CAF_TEST(set_and_unlock releases the lock also when its write fails) {
  auto owner = std::make_unique<faulty_adapter>();
  auto ctl = owner->ctl();
  layered_config cfg;
  cfg.persistent = std::move(owner);
  layered store{std::move(cfg), with_shards(2)};
  CAF_REQUIRE(store.start());
  CAF_REQUIRE(store.set("acct/1", "100"));
  // A failed write (here the disk refuses it) releases the lock, as the seed's deferred unlock
  // does: another thread of the program then gets it at once instead of after the lease.
  CAF_REQUIRE(store.get_and_lock("acct/1"));
  ctl->fail_every_write(true);
  CAF_CHECK(failed_with(store.set_and_unlock("acct/1", "90"), errc::persistence_failed));
  ctl->fail_every_write(false);
  CAF_CHECK(failed_with(store.unlock("acct/1"), errc::lock_not_found));
  std::thread other{[&] {
    auto grant = store.get_and_lock("acct/1");
    CAF_CHECK(grant && to_str(grant->data) == "100");
    CAF_CHECK(store.set_and_unlock("acct/1", "80"));
  }};
  other.join();
  // Same for a value the store refuses.
  CAF_REQUIRE(store.get_and_lock("acct/1"));
  CAF_CHECK(failed_with(store.set_and_unlock("acct/1", ""), errc::invalid_data));
  caf::scoped_actor writer{store.system()};
  bool written = false;
  writer
    ->request(store.handle(), std::chrono::seconds{5}, set_atom::value, std::string{"acct/1"},
              bytes{'7', '0'}, write_options{})
    .receive([&](receipt&) { written = true; },
             [&](caf::error& err) { CAF_FAIL("writer: " << render(err)); });
  CAF_CHECK(written);
  CAF_CHECK_EQUAL(to_str(value_of(store.get("acct/1")).data), "70");
}

CAF_TEST(a batch answers one result per operation in order) {
  layered store{layered_config{}, with_shards(3)};
  CAF_REQUIRE(store.start());
  std::vector<std::pair<std::string, bytes>> items;
  for (int i = 0; i < 64; ++i)
    items.emplace_back("users/" + std::to_string(i), bytes(std::to_string(i)));
  auto written = store.set_many(items);
  CAF_REQUIRE(written);
  CAF_REQUIRE_EQUAL(written->size(), 64u);
  std::set<uint64_t> revisions;
  for (size_t i = 0; i < written->size(); ++i) {
    auto& r = (*written)[i];
    CAF_CHECK(!r.error);
    CAF_CHECK_EQUAL(r.written.key, items[i].first);
    revisions.insert(r.written.revision);
  }
  CAF_CHECK_EQUAL(revisions.size(), 64u);
  // Reads of present and missing keys, in the order asked.
  auto read = store.get_many({"users/7", "users/99", "users/0"});
  CAF_REQUIRE(read);
  CAF_REQUIRE_EQUAL(read->size(), 3u);
  CAF_CHECK_EQUAL(to_str((*read)[0].read.data), "7");
  CAF_CHECK(is((*read)[1].error, errc::not_found));
  CAF_CHECK_EQUAL(to_str((*read)[2].read.data), "0");
  // Operations on one key take effect in their order; a bad one fails alone.
  std::vector<batch_op> ops(4);
  ops[0].kind = batch_kind::set;
  ops[0].key = "doc/1";
  ops[0].data = bytes{'a'};
  ops[1].kind = batch_kind::get;
  ops[1].key = "doc/1";
  ops[2].kind = batch_kind::del;
  ops[2].key = "doc/1";
  ops[3].kind = batch_kind::set;
  ops[3].key = "doc/*";
  ops[3].data = bytes{'b'};
  auto mixed = store.batch(std::move(ops));
  CAF_REQUIRE(mixed);
  CAF_REQUIRE_EQUAL(mixed->size(), 4u);
  CAF_CHECK(!(*mixed)[0].error);
  CAF_CHECK_EQUAL(to_str((*mixed)[1].read.data), "a");
  CAF_CHECK_EQUAL((*mixed)[2].removed.count, 1u);
  CAF_CHECK_EQUAL((*mixed)[2].removed.revision, (*mixed)[0].written.revision + 1);
  CAF_CHECK(is((*mixed)[3].error, errc::glob_not_allowed));
  CAF_CHECK(failed_with(store.get("doc/1"), errc::not_found));
  CAF_CHECK_EQUAL(value_of(store.batch({})).size(), 0u);
}

CAF_TEST(calls on exact keys go to the shards and keep their guarantees) {
  layered store{layered_config{}, with_shards(3)};
  // Before start, a shard refuses like the store.
  CAF_CHECK(failed_with(store.get("users/1"), errc::not_active));
  CAF_REQUIRE(store.start());
  CAF_REQUIRE(store.set("users/1", "a"));
  CAF_CHECK_EQUAL(to_str(value_of(store.get("users/1")).data), "a");
  CAF_CHECK(failed_with(store.get("users/*"), errc::glob_not_allowed));
  CAF_CHECK(failed_with(store.get("bad//key"), errc::invalid_path));
  CAF_CHECK_EQUAL(value_of(store.del("users/*")), 1u);
  CAF_REQUIRE(store.close());
  CAF_CHECK(failed_with(store.set("users/2", "b"), errc::not_active));
}

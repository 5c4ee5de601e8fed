#define CAF_SUITE store_locks
#define FAIL(msg) CAF_FAIL(msg)
#include "caf/test/dsl.hpp"

#include "tests/unit/store_fixture.hpp"

using namespace ooo::storage;
using namespace ooo::storage::test;

namespace {

using strings = std::vector<std::string>;

const std::string key = "doc/1";

struct fixture : store_fixture {
  fixture() {
    options opts;
    opts.shards = 2;
    opts.max_lock_waiters = 3;
    start(std::move(opts));
    CAF_REQUIRE(set(key, "v0"));
  }

  caf::expected<uint64_t> lock(const std::string& k, uint32_t lease_ms = 0) {
    return ask<uint64_t>(lock_atom::value, k, lease_ms);
  }

  caf::expected<void> unlock(const std::string& k, uint64_t token) {
    return ask<void>(unlock_atom::value, k, token);
  }

  later_t<receipt> later_set(std::string name, const std::string& k, write_options opts = {}) {
    return later<receipt>(name, set_atom::value, k, to_bytes(name), opts);
  }

  std::string value_of(const std::string& k) {
    auto obj = get(k);
    return obj ? to_str(obj->data) : "<" + render(obj.error()) + ">";
  }
};

template <class T>
bool ok(const std::shared_ptr<std::optional<caf::expected<T>>>& x) {
  return x->has_value() && static_cast<bool>(**x);
}

} // namespace

CAF_TEST_FIXTURE_SCOPE(store_locks_tests, fixture)

CAF_TEST(writers of a locked key wait in arrival order) {
  auto events = subscribe("doc/*");
  auto token = lock(key);
  CAF_REQUIRE(token);
  CAF_CHECK_NOT_EQUAL(*token, 0u);
  auto a = later_set("a", key);
  auto b = later_set("b", key);
  auto l = later<uint64_t>("lock", lock_atom::value, key, uint32_t{0});
  drain();
  CAF_CHECK_EQUAL(*answered, strings{});
  auto st = stats();
  CAF_REQUIRE(st);
  CAF_CHECK_EQUAL(st->locks, 1u);
  CAF_CHECK_EQUAL(st->lock_waiters, 3u);
  // Reads do not wait for locks.
  CAF_CHECK_EQUAL(value_of(key), "v0");
  // The holder writes through with its token.
  write_options with_token;
  with_token.token = *token;
  auto h = set(key, "holder", with_token);
  CAF_REQUIRE(h);
  CAF_CHECK_EQUAL(*answered, strings{});
  CAF_CHECK_EQUAL(value_of(key), "holder");
  // Unlock: a and b run in order, then `lock` takes the lock and c waits behind it.
  CAF_REQUIRE(unlock(key, *token));
  auto c = later_set("c", key);
  drain();
  CAF_CHECK_EQUAL(*answered, (strings{"a", "b", "lock"}));
  CAF_REQUIRE(ok(a) && ok(b) && ok(l));
  CAF_CHECK_EQUAL((**a)->revision, h->revision + 1);
  CAF_CHECK_EQUAL((**b)->revision, h->revision + 2);
  CAF_CHECK_EQUAL(value_of(key), "b");
  auto second = ***l;
  CAF_CHECK_NOT_EQUAL(second, *token);
  CAF_CHECK(failed_with(unlock(key, *token), errc::lock_not_found));
  CAF_CHECK(!c->has_value());
  // A lock belongs to its token, not to the actor that asked for it.
  CAF_REQUIRE(unlock(key, second));
  CAF_CHECK_EQUAL(*answered, (strings{"a", "b", "lock", "c"}));
  CAF_CHECK_EQUAL(value_of(key), "c");
  CAF_CHECK_EQUAL(describe(events->snapshot()),
                  (strings{"set doc/1 holder", "set doc/1 a", "set doc/1 b", "set doc/1 c"}));
  st = stats();
  CAF_CHECK_EQUAL(st->locks, 0u);
  CAF_CHECK_EQUAL(st->lock_waiters, 0u);
}

CAF_TEST(other keys keep flowing while one is locked) {
  // Find a key on the same shard as `key`.
  std::string neighbour;
  for (int i = 0; neighbour.empty(); ++i) {
    auto candidate = "doc/" + std::to_string(100 + i);
    if (shard_of(candidate, 2) == shard_of(key, 2))
      neighbour = candidate;
  }
  auto token = lock(key);
  CAF_REQUIRE(token);
  auto waiting = later_set("waiting", key);
  drain();
  CAF_CHECK(!waiting->has_value());
  CAF_CHECK(set(neighbour, "free"));
  CAF_CHECK_EQUAL(value_of(neighbour), "free");
  CAF_CHECK(!waiting->has_value());
  CAF_REQUIRE(unlock(key, *token));
  CAF_CHECK(ok(waiting));
  CAF_CHECK_EQUAL(value_of(key), "waiting");
}

CAF_TEST(deletes and gets of a locked key) {
  auto token = lock(key);
  CAF_REQUIRE(token);
  auto d = later<deleted>("del", del_atom::value, key);
  drain();
  CAF_CHECK(!d->has_value());
  CAF_CHECK_EQUAL(value_of(key), "v0");
  CAF_REQUIRE(unlock(key, *token));
  CAF_REQUIRE(ok(d));
  CAF_CHECK_EQUAL((**d)->count, 1u);
  CAF_CHECK(failed_with(get(key), errc::not_found));
  // A missing key can be locked (to create it).
  auto t2 = lock(key);
  CAF_REQUIRE(t2);
  auto w = later_set("w", key);
  drain();
  CAF_CHECK(!w->has_value());
  CAF_REQUIRE(unlock(key, *t2));
  CAF_CHECK_EQUAL(value_of(key), "w");
}

CAF_TEST(set and unlock writes and releases) {
  auto token = lock(key);
  CAF_REQUIRE(token);
  auto w = later_set("w", key);
  drain();
  write_options opts;
  opts.token = *token;
  opts.unlock = true;
  auto r = set(key, "mine", opts);
  CAF_REQUIRE(r);
  CAF_REQUIRE(ok(w));
  CAF_CHECK_EQUAL((**w)->revision, r->revision + 1);
  CAF_CHECK_EQUAL(value_of(key), "w");
  CAF_CHECK_EQUAL(must(stats()).locks, 0u);
  // The token is spent.
  CAF_CHECK(failed_with(set(key, "again", opts), errc::lock_not_found));
  CAF_CHECK(failed_with(unlock(key, *token), errc::lock_not_found));
  write_options no_token;
  no_token.unlock = true;
  CAF_CHECK(failed_with(set(key, "x", no_token), errc::lock_not_found));
  CAF_CHECK_EQUAL(value_of(key), "w");
}

CAF_TEST(unlock needs the right token) {
  CAF_CHECK(failed_with(unlock(key, 12345), errc::lock_not_found));
  CAF_CHECK(failed_with(unlock("doc/none", 1), errc::lock_not_found));
  auto token = lock(key);
  CAF_REQUIRE(token);
  auto w = later_set("w", key);
  drain();
  CAF_CHECK(failed_with(unlock(key, *token + 1), errc::lock_not_found));
  CAF_CHECK(failed_with(unlock(key, 0), errc::lock_not_found));
  auto err = unlock(key, *token + 1);
  CAF_REQUIRE(!err);
  CAF_CHECK_EQUAL(render(err.error()), "lock_not_found: doc/1");
  // Still locked: the writer still waits, and a wrong unlock/set_and_unlock does not help it.
  CAF_CHECK(!w->has_value());
  CAF_CHECK_EQUAL(must(stats()).locks, 1u);
  CAF_REQUIRE(unlock(key, *token));
  CAF_CHECK(ok(w));
  CAF_CHECK(failed_with(unlock(key, *token), errc::lock_not_found));
}

CAF_TEST(get and lock returns the value and holds the lock) {
  auto grant = ask<lock_grant>(get_lock_atom::value, key, uint32_t{0});
  CAF_REQUIRE(grant);
  CAF_CHECK_NOT_EQUAL(grant->token, 0u);
  CAF_CHECK_EQUAL(grant->value.path, key);
  CAF_CHECK_EQUAL(to_str(grant->value.data), "v0");
  auto w = later_set("w", key);
  drain();
  CAF_CHECK(!w->has_value());
  CAF_REQUIRE(unlock(key, grant->token));
  CAF_CHECK(ok(w));
  // A missing key: not_found, and nothing is locked.
  CAF_CHECK(failed_with(ask<lock_grant>(get_lock_atom::value, std::string{"doc/none"},
                                        uint32_t{0}),
                        errc::not_found));
  CAF_CHECK(set("doc/none", "free"));
  CAF_CHECK_EQUAL(must(stats()).locks, 0u);
}

CAF_TEST(patterns and bad keys cannot be locked) {
  CAF_CHECK(failed_with(lock("doc/*"), errc::cant_lock_glob));
  CAF_CHECK(failed_with(lock("*"), errc::cant_lock_glob));
  CAF_CHECK(failed_with(ask<lock_grant>(get_lock_atom::value, std::string{"doc/*"}, uint32_t{0}),
                        errc::cant_lock_glob));
  CAF_CHECK(failed_with(lock("doc//1"), errc::invalid_path));
  CAF_CHECK(failed_with(lock(""), errc::invalid_path));
  // A pattern never holds a lock, and unlocking one says why.
  CAF_CHECK(failed_with(unlock("doc/*", 1), errc::cant_lock_glob));
  CAF_CHECK(failed_with(unlock("doc//1", 1), errc::invalid_path));
  CAF_CHECK_EQUAL(must(stats()).locks, 0u);
}

CAF_TEST(a lock ends when its lease runs out) {
  CAF_CHECK(!sched.has_pending_timeout());
  auto token = lock(key, 100);
  CAF_REQUIRE(token);
  auto w = later_set("w", key);
  drain();
  CAF_CHECK(!w->has_value());
  CAF_REQUIRE(sched.has_pending_timeout());
  CAF_REQUIRE(sched.trigger_timeout());
  drain();
  CAF_CHECK(ok(w));
  CAF_CHECK_EQUAL(value_of(key), "w");
  CAF_CHECK_EQUAL(must(stats()).locks, 0u);
  CAF_CHECK(failed_with(unlock(key, *token), errc::lock_not_found));
}

CAF_TEST(an old lease does not end a newer lock) {
  auto first = lock(key, 100);
  CAF_REQUIRE(first);
  CAF_REQUIRE(unlock(key, *first));
  auto second = lock(key, 60000);
  CAF_REQUIRE(second);
  auto w = later_set("w", key);
  drain();
  // Fires the first lock's lease (the earlier one): the second lock stays.
  CAF_REQUIRE(sched.trigger_timeout());
  drain();
  CAF_CHECK(!w->has_value());
  CAF_CHECK_EQUAL(must(stats()).locks, 1u);
  // Now the second lease.
  CAF_REQUIRE(sched.trigger_timeout());
  drain();
  CAF_CHECK(ok(w));
  CAF_CHECK(failed_with(unlock(key, *second), errc::lock_not_found));
}

CAF_TEST(a lock ends when its holder dies) {
  auto holder_lock = later<uint64_t>("holder", lock_atom::value, key, uint32_t{0});
  auto holder = spawned.back();
  drain();
  CAF_REQUIRE(ok(holder_lock));
  auto w = later_set("w", key);
  auto l = later<uint64_t>("next", lock_atom::value, key, uint32_t{0});
  auto next_holder = spawned.back();
  drain();
  CAF_CHECK(!w->has_value());
  CAF_CHECK(!l->has_value());
  self->send_exit(holder, caf::exit_reason::kill);
  drain();
  // The writer runs, then the next locker holds the lock.
  CAF_CHECK(ok(w));
  CAF_REQUIRE(ok(l));
  CAF_CHECK_EQUAL(value_of(key), "w");
  CAF_CHECK_EQUAL(must(stats()).locks, 1u);
  auto w2 = later_set("w2", key);
  drain();
  CAF_CHECK(!w2->has_value());
  // The next holder dies too.
  self->send_exit(next_holder, caf::exit_reason::user_shutdown);
  drain();
  CAF_CHECK(ok(w2));
  CAF_CHECK_EQUAL(must(stats()).locks, 0u);
  CAF_CHECK(failed_with(unlock(key, ***l), errc::lock_not_found));
}

CAF_TEST(a holder that dies before its lock is granted leaves nothing locked) {
  auto token = lock(key);
  CAF_REQUIRE(token);
  auto doomed = later<uint64_t>("doomed", lock_atom::value, key, uint32_t{0});
  auto doomed_actor = spawned.back();
  drain();
  self->send_exit(doomed_actor, caf::exit_reason::kill);
  drain();
  CAF_REQUIRE(unlock(key, *token));
  // `doomed` got the lock after its death and lost it at once.
  CAF_CHECK_EQUAL(must(stats()).locks, 0u);
  CAF_CHECK(set(key, "free"));
}

CAF_TEST(lock waiters are bounded) {
  auto token = lock(key);
  CAF_REQUIRE(token);
  auto a = later_set("a", key);
  auto b = later_set("b", key);
  auto c = later_set("c", key);
  auto d = later_set("d", key);
  drain();
  CAF_CHECK_EQUAL(*answered, strings{"d"});
  CAF_CHECK(failed_with(**d, errc::limit_exceeded));
  CAF_REQUIRE(unlock(key, *token));
  CAF_CHECK_EQUAL(*answered, (strings{"d", "a", "b", "c"}));
  CAF_CHECK_EQUAL(value_of(key), "c");
}

CAF_TEST(close answers writers parked on a lock) {
  auto token = lock(key);
  CAF_REQUIRE(token);
  auto w = later_set("w", key);
  auto l = later<uint64_t>("lock", lock_atom::value, key, uint32_t{0});
  auto d = later<deleted>("del", del_atom::value, key);
  drain();
  CAF_CHECK_EQUAL(*answered, strings{});
  auto closed = ask<void>(caf::close_atom::value);
  CAF_CHECK(closed);
  CAF_CHECK_EQUAL(*answered, (strings{"w", "lock", "del"}));
  CAF_CHECK(failed_with(**w, errc::not_active));
  CAF_CHECK(failed_with(**l, errc::not_active));
  CAF_CHECK(failed_with(**d, errc::not_active));
  CAF_CHECK(failed_with(unlock(key, *token), errc::not_active));
}

CAF_TEST_FIXTURE_SCOPE_END()

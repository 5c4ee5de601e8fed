#define CAF_SUITE store_limits
#include "caf/test/dsl.hpp"

#include <string>

#include "caf/all.hpp"

#include "actors/layered.hpp"
#include "messages/errc.hpp"
#include "tests/unit/value_of.hpp"

using namespace ooo::storage;
using ooo::storage::test::value_of;

namespace {

options limited() {
  options opts;
  opts.shards = 3;
  opts.max_value_size = 1024;
  opts.max_subscribers = 2;
  opts.max_list = 10;
  opts.max_lock_waiters = 2;
  return opts;
}

} // namespace

CAF_TEST(a value over the maximum size is too large and nothing is stored) {
  layered store{layered_config{}, limited()};
  CAF_REQUIRE(store.start());
  auto big = store.set("k", std::string(1025, 'x'));
  CAF_REQUIRE(!big);
  CAF_CHECK(is(big.error(), errc::too_large));
  CAF_CHECK_EQUAL(render(big.error()), "too_large: k: 1025 bytes, the limit is 1024");
  CAF_CHECK(is(store.get("k").error(), errc::not_found));
  CAF_CHECK(store.set("k", std::string(1024, 'x')));
}

CAF_TEST(subscriptions beyond the maximum are refused) {
  layered store{layered_config{}, limited()};
  CAF_REQUIRE(store.start());
  auto a = store.watch("a/*", [](const event&) {});
  auto b = store.watch("b/*", [](const event&) {});
  CAF_REQUIRE(a && b);
  auto c = store.watch("c/*", [](const event&) {});
  CAF_REQUIRE(!c);
  CAF_CHECK(is(c.error(), errc::limit_exceeded));
  a->stop();
  // Unsubscribing makes room again (the unsubscribe is asynchronous: retry briefly).
  caf::expected<watch_handle> d{caf::error{}};
  for (int i = 0; i < 100 && !d; ++i) {
    d = store.watch("d/*", [](const event&) {});
    if (!d)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  CAF_CHECK(d);
}

CAF_TEST(a list without a limit over the maximum is refused and pages still work) {
  layered store{layered_config{}, limited()};
  CAF_REQUIRE(store.start());
  for (int i = 0; i < 10; ++i)
    CAF_REQUIRE(store.set("users/" + std::to_string(i), "v"));
  CAF_CHECK_EQUAL(value_of(store.get_list("users/*")).size(), 10u);
  CAF_CHECK_EQUAL(value_of(store.keys("users/*")).size(), 10u);
  CAF_REQUIRE(store.set("users/10", "v"));
  auto all = store.get_list("users/*");
  CAF_REQUIRE(!all);
  CAF_CHECK(is(all.error(), errc::limit_exceeded));
  CAF_CHECK(is(store.keys("users/*").error(), errc::limit_exceeded));
  auto page = store.get_n("users/*", 8, 5);
  CAF_REQUIRE(page);
  CAF_CHECK_EQUAL(page->size(), 3u);
  auto keys = store.keys_range("users/*", 0, 0);
  CAF_CHECK(is(keys.error(), errc::limit_exceeded));
}

CAF_TEST(lock waiters beyond the maximum are refused) {
  layered holder{layered_config{}, limited()};
  CAF_REQUIRE(holder.start());
  CAF_REQUIRE(holder.lock("k"));
  // Two writers may wait; the third is refused at once.
  caf::scoped_actor self{holder.system()};
  for (int i = 0; i < 2; ++i)
    self->send(holder.handle(), set_atom::value, std::string{"k"}, bytes{'w'}, write_options{});
  caf::error third;
  self->request(holder.handle(), std::chrono::seconds(5), set_atom::value, std::string{"k"},
                bytes{'x'}, write_options{})
    .receive([](const receipt&) { CAF_FAIL("a third waiter was admitted"); },
             [&](caf::error& err) { third = std::move(err); });
  CAF_CHECK(is(third, errc::limit_exceeded));
  CAF_REQUIRE(holder.unlock("k"));
  CAF_CHECK_EQUAL(value_of(holder.stats()).lock_waiters, 0u);
}

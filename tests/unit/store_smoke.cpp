#define CAF_SUITE store_smoke
#include "caf/test/dsl.hpp"

#include <atomic>
#include <thread>

#include "actors/layered.hpp"
#include "messages/errc.hpp"

using namespace ooo::storage;

CAF_TEST(set get del through the facade) {
  layered store{layered_config{}};
  CAF_REQUIRE(store.start());
  auto idx = store.set("users/1", "hello");
  CAF_REQUIRE(idx);
  CAF_CHECK_EQUAL(*idx, "1");
  auto obj = store.get("users/1");
  CAF_REQUIRE(obj);
  CAF_CHECK_EQUAL(std::string(obj->data.begin(), obj->data.end()), "hello");
  CAF_CHECK_EQUAL(obj->revision, 1u);
  CAF_CHECK_EQUAL(obj->updated, 0);
  auto missing = store.get("users/2");
  CAF_REQUIRE(!missing);
  CAF_CHECK(is(missing.error(), errc::not_found));
  CAF_CHECK_EQUAL(render(missing.error()), "not_found: users/2");
  std::atomic<int> events{0};
  auto w = store.watch("users/*", [&](const event&) { ++events; });
  CAF_REQUIRE(w);
  for (int i = 0; i < 10; ++i)
    CAF_REQUIRE(store.set("users/" + std::to_string(i), "x"));
  auto list = store.get_n("users/*", 0, 5);
  CAF_REQUIRE(list);
  CAF_CHECK_EQUAL(list->size(), 5u);
  CAF_CHECK_EQUAL(list->front().path, "users/9");
  auto n = store.del("users/*");
  CAF_REQUIRE(n);
  CAF_CHECK_EQUAL(*n, 10u);
  CAF_REQUIRE(store.lock("a"));
  CAF_REQUIRE(store.set("a", "locked write"));
  CAF_REQUIRE(store.unlock("a"));
  for (int i = 0; i < 100 && events < 20; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  CAF_CHECK_EQUAL(events.load(), 20);
  CAF_REQUIRE(store.close());
  CAF_CHECK(is(store.get("a").error(), errc::not_active));
}

#define CAF_SUITE gateway_view
#include "caf/test/dsl.hpp"

#include <string>
#include <vector>

#include "gateway/live_view.hpp"

using namespace ooo::storage;
using namespace ooo::storage::gateway;

namespace {

object obj(std::string path, int64_t created, int64_t updated, uint64_t revision,
           std::string data) {
  object x;
  x.path = std::move(path);
  x.created = created;
  x.updated = updated;
  x.revision = revision;
  x.data = bytes(data.begin(), data.end());
  return x;
}

event set_event(const object& x) {
  event ev;
  ev.revision = x.revision;
  ev.unit = x.revision;
  ev.key = x.path;
  ev.op = event_op::set;
  ev.value = x;
  return ev;
}

event del_event(const std::string& key, uint64_t revision, uint64_t unit = 0) {
  event ev;
  ev.revision = revision;
  ev.unit = unit == 0 ? revision : unit;
  ev.key = key;
  ev.op = event_op::del;
  return ev;
}

/// Applies an RFC 6902 patch the way a client does (nlohmann's `patch`), so every test checks
/// that the patch turns what the client had into what the view now holds.
/// (Compared as unordered JSON: a patch's `add` puts a member last, as a browser does.)
void check_patch_reaches(json& client, const json& ops, const live_view& view) {
  client = client.patch(ops);
  auto expected = nlohmann::json::parse(dump(view.snapshot()));
  auto actual = nlohmann::json::parse(dump(client));
  CAF_CHECK_EQUAL(actual, expected);
}

} // namespace

CAF_TEST(an object view starts as the empty object and patches each change) {
  live_view view{"box"};
  CAF_CHECK(!view.is_list());
  CAF_CHECK(view.empty());
  CAF_CHECK_EQUAL(dump(view.snapshot()), R"({"created":0,"updated":0,"index":"","data":{}})");
  json client = view.snapshot();
  auto a = obj("box", 100, 0, 1, R"({"name":"a box 🧰"})");
  auto ops = view.apply({set_event(a)});
  CAF_CHECK(!ops.empty());
  check_patch_reaches(client, ops, view);
  CAF_CHECK_EQUAL(dump(view.snapshot()),
                  R"({"created":100,"updated":0,"index":"box","path":"box","data":{"name":"a box 🧰"}})");
  auto b = obj("box", 100, 200, 2, R"({"name":"still a box 💾"})");
  ops = view.apply({set_event(b)});
  // Only what changed: the update time and the name.
  CAF_CHECK_EQUAL(dump(ops), R"([{"op":"replace","path":"/updated","value":200},)"
                             R"({"op":"replace","path":"/data/name","value":"still a box 💾"}])");
  check_patch_reaches(client, ops, view);
  ops = view.apply({del_event("box", 3)});
  check_patch_reaches(client, ops, view);
  CAF_CHECK(view.empty());
  CAF_CHECK_EQUAL(dump(client), R"({"created":0,"updated":0,"index":"","data":{}})");
}

CAF_TEST(a list view is newest first and patches at the changed position) {
  live_view view{"users/*"};
  CAF_CHECK(view.is_list());
  view.load({obj("users/a", 10, 0, 1, "1"), obj("users/c", 30, 0, 3, "3"),
             obj("users/b", 20, 0, 2, "2")});
  json client = view.snapshot();
  CAF_REQUIRE_EQUAL(client.size(), 3u);
  CAF_CHECK_EQUAL(client[0]["path"], "users/c");
  CAF_CHECK_EQUAL(client[2]["path"], "users/a");
  // A new key is added in front (it is the newest).
  auto ops = view.apply({set_event(obj("users/d", 40, 0, 4, R"({"n":4})"))});
  CAF_CHECK_EQUAL(ops.size(), 1u);
  CAF_CHECK_EQUAL(ops[0]["op"], "add");
  CAF_CHECK_EQUAL(ops[0]["path"], "/0");
  check_patch_reaches(client, ops, view);
  // An update changes only that item.
  ops = view.apply({set_event(obj("users/b", 20, 50, 5, R"({"n":2})"))});
  for (auto& o : ops)
    CAF_CHECK_EQUAL(o["path"].get<std::string>().rfind("/2/", 0), 0u);
  check_patch_reaches(client, ops, view);
  // A delete removes at its position.
  ops = view.apply({del_event("users/c", 6)});
  CAF_CHECK_EQUAL(dump(ops), R"([{"op":"remove","path":"/1"}])");
  check_patch_reaches(client, ops, view);
  CAF_CHECK_EQUAL(view.size(), 3u);
}

CAF_TEST(a glob delete is one unit and empties the list) {
  live_view view{"things/*"};
  view.load({obj("things/1", 1, 0, 1, "1"), obj("things/2", 2, 0, 2, "2"),
             obj("things/3", 3, 0, 3, "3")});
  json client = view.snapshot();
  std::vector<event> unit{del_event("things/1", 4, 6), del_event("things/2", 5, 6),
                          del_event("things/3", 6, 6)};
  auto ops = view.apply(unit);
  CAF_CHECK_EQUAL(ops.size(), 3u);
  check_patch_reaches(client, ops, view);
  CAF_CHECK_EQUAL(dump(view.snapshot()), "[]");
}

CAF_TEST(events the read already saw change nothing) {
  live_view view{"k/*"};
  view.load({obj("k/1", 1, 5, 7, R"("new")")});
  // The subscription delivers an older set and a delete that the read had already passed.
  CAF_CHECK(view.apply({set_event(obj("k/1", 1, 0, 3, R"("old")"))}).empty());
  CAF_CHECK(view.apply({del_event("k/1", 6)}).empty());
  CAF_CHECK(view.apply({del_event("k/2", 8)}).empty());
  auto state = view.snapshot();
  CAF_CHECK_EQUAL(state[0]["data"], "new");
  CAF_CHECK(view.newer_than(6));
  CAF_CHECK(!view.newer_than(7));
  // A delete after the read's revision does remove it.
  CAF_CHECK(!view.apply({del_event("k/1", 9)}).empty());
  CAF_CHECK_EQUAL(view.size(), 0u);
}

CAF_TEST(a value restored with another created moves in the list) {
  live_view view{"r/*"};
  view.load({obj("r/a", 10, 0, 1, "1"), obj("r/b", 20, 0, 2, "2")});
  json client = view.snapshot();
  auto ops = view.apply({set_event(obj("r/a", 30, 40, 3, "1"))});
  check_patch_reaches(client, ops, view);
  CAF_CHECK_EQUAL(client[0]["path"], "r/a");
  CAF_CHECK_EQUAL(client[1]["path"], "r/b");
}

CAF_TEST(values that are not JSON become strings) {
  live_view view{"raw"};
  auto x = obj("raw", 1, 0, 1, "");
  std::string raw = "ab\xff";
  x.data = bytes(raw.begin(), raw.end());
  view.apply({set_event(x)});
  auto state = view.snapshot();
  CAF_CHECK_EQUAL(state["data"], "ab\xef\xbf\xbd");
}

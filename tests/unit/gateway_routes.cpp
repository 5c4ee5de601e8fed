#define CAF_SUITE gateway_routes
#include "caf/test/dsl.hpp"

#include <chrono>
#include <future>
#include <string>

#include <nlohmann/json.hpp>

#include "caf/actor_system.hpp"
#include "caf/actor_system_config.hpp"
#include "caf/scoped_actor.hpp"

#include "actors/store.hpp"
#include "gateway/routes.hpp"
#include "messages/register_types.hpp"

using namespace ooo::storage;
using namespace ooo::storage::gateway;

namespace {

struct config : caf::actor_system_config {
  config() {
    register_types(*this);
  }
};

/// A memory store with the gateway's routes in front, driven without a network.
struct fixture {
  config cfg;
  caf::actor_system sys{cfg};
  store_actor store;
  std::unique_ptr<store_client> client;
  gateway_metrics metrics;
  gateway_settings settings;
  std::unique_ptr<routes> r;

  explicit fixture(std::string token = {}) {
    store = spawn_store(sys, store_config{});
    caf::scoped_actor self{sys};
    self->request(store, std::chrono::seconds(10), start_atom::value).receive([] {}, [](caf::error& e) {
      CAF_FAIL("start failed: " << render(e));
    });
    client = std::make_unique<store_client>(sys, caf::actor_cast<caf::strong_actor_ptr>(store));
    settings.token = std::move(token);
    r = std::make_unique<routes>(*client, metrics, settings);
  }

  ~fixture() {
    client->stop();
    caf::anon_send_exit(store, caf::exit_reason::user_shutdown);
  }

  http_response call(std::string method, std::string target, std::string body = {},
                     std::string authorization = {}) {
    http_request req;
    req.method = std::move(method);
    req.target = std::move(target);
    req.body = std::move(body);
    req.authorization = std::move(authorization);
    auto answer = std::make_shared<std::promise<http_response>>();
    auto future = answer->get_future();
    r->handle(std::move(req), [answer](http_response res) { answer->set_value(std::move(res)); });
    if (future.wait_for(std::chrono::seconds(15)) != std::future_status::ready)
      CAF_FAIL("no answer within 15 s");
    return future.get();
  }
};

nlohmann::json parse(const http_response& res) {
  return nlohmann::json::parse(res.body);
}

bool has_cors(const http_response& res) {
  for (auto& [name, value] : res.headers)
    if (name == "Access-Control-Allow-Origin" && value == "*")
      return true;
  return false;
}

} // namespace

CAF_TEST(set get list and delete answer as ooo does) {
  fixture f;
  auto posted = f.call("POST", "/box", R"({"name":"a box 🧰"})");
  CAF_CHECK_EQUAL(posted.status, 200u);
  CAF_CHECK_EQUAL(posted.body, R"({"index":"box"})");
  CAF_CHECK(has_cors(posted));
  auto got = f.call("GET", "/box");
  CAF_CHECK_EQUAL(got.status, 200u);
  CAF_CHECK_EQUAL(got.content_type, "application/json");
  auto obj = parse(got);
  CAF_CHECK_EQUAL(obj["data"]["name"], "a box 🧰");
  CAF_CHECK_EQUAL(obj["index"], "box");
  CAF_CHECK_EQUAL(obj["path"], "box");
  CAF_CHECK_EQUAL(obj["updated"], 0);
  CAF_CHECK(obj["created"].get<int64_t>() > 0);
  auto a = parse(f.call("POST", "/users/*", R"({"n":1})"))["index"].get<std::string>();
  auto b = parse(f.call("POST", "/users/*", R"({"n":2})"))["index"].get<std::string>();
  CAF_CHECK_NOT_EQUAL(a, b);
  auto list = parse(f.call("GET", "/users/*"));
  CAF_REQUIRE_EQUAL(list.size(), 2u);
  CAF_CHECK_EQUAL(list[0]["index"], b); // newest first
  CAF_CHECK_EQUAL(list[1]["index"], a);
  CAF_CHECK_EQUAL(f.call("GET", "/nothing/*").body, "[]");
  CAF_CHECK_EQUAL(f.call("DELETE", "/users/*").status, 204u);
  CAF_CHECK_EQUAL(f.call("GET", "/users/*").body, "[]");
  CAF_CHECK_EQUAL(f.call("DELETE", "/box").status, 204u);
  auto missing = f.call("GET", "/box");
  CAF_CHECK_EQUAL(missing.status, 404u);
  CAF_CHECK_EQUAL(missing.body, "ooo: empty key");
  auto del_missing = f.call("DELETE", "/box");
  CAF_CHECK_EQUAL(del_missing.status, 404u);
  CAF_CHECK_EQUAL(del_missing.body, "ooo: not found");
}

CAF_TEST(bad requests get the errors of ooo) {
  fixture f;
  auto bad_key = f.call("GET", "/bad//key");
  CAF_CHECK_EQUAL(bad_key.status, 400u);
  CAF_CHECK_EQUAL(bad_key.body, "ooo: key is not valid");
  CAF_CHECK(has_cors(bad_key));
  CAF_CHECK_EQUAL(f.call("POST", "/-x", "{}").status, 400u);
  CAF_CHECK_EQUAL(f.call("POST", "/a/*/b", "{}").body,
                  "key: glob pattern must be at the end of the path");
  CAF_CHECK_EQUAL(f.call("POST", "/a/*/*", "{}").body, "key: contains more than one glob pattern");
  auto bad_json = f.call("POST", "/k", "{nope");
  CAF_CHECK_EQUAL(bad_json.status, 400u);
  CAF_CHECK_EQUAL(bad_json.body.rfind("ooo: invalid JSON", 0), 0u);
  CAF_CHECK_EQUAL(f.call("POST", "/k", "").status, 400u);
  CAF_CHECK_EQUAL(f.call("PATCH", "/k/*", "{}").body,
                  "ooo: glob pattern not allowed for this operation");
  CAF_CHECK_EQUAL(f.call("PATCH", "/missing", "{}").status, 404u);
  CAF_CHECK_EQUAL(f.call("PUT", "/k", "{}").status, 405u);
  CAF_CHECK_EQUAL(f.call("POST", "/", "{}").status, 405u);
  CAF_CHECK_EQUAL(f.call("GET", "/?api=nope").status, 404u);
  // Nothing was written by any of these.
  CAF_CHECK_EQUAL(f.call("GET", "/").body, R"({"keys":[]})");
}

CAF_TEST(a merge patch changes only what it names) {
  fixture f;
  f.call("POST", "/doc", R"({"a":1,"b":{"c":2,"d":3}})");
  auto patched = f.call("PATCH", "/doc", R"({"b":{"c":null,"e":"🙂"}})");
  CAF_CHECK_EQUAL(patched.status, 200u);
  CAF_CHECK_EQUAL(patched.body, R"({"index":"doc"})");
  auto doc = parse(f.call("GET", "/doc"));
  CAF_CHECK_EQUAL(doc["data"], nlohmann::json::parse(R"({"a":1,"b":{"d":3,"e":"🙂"}})"));
  CAF_CHECK(doc["updated"].get<int64_t>() > 0);
  CAF_CHECK_EQUAL(f.call("PATCH", "/doc", "nope").status, 400u);
}

CAF_TEST(the root lists keys in both forms) {
  fixture f;
  for (auto k : {"b", "a", "c/1", "c/2"})
    f.call("POST", std::string{"/"} + k, "1");
  CAF_CHECK_EQUAL(f.call("GET", "/").body, R"({"keys":["a","b","c/1","c/2"]})");
  auto paged = parse(f.call("GET", "/?api=keys&filter=c/*&limit=1&page=2"));
  CAF_CHECK_EQUAL(paged["keys"], nlohmann::json::parse(R"(["c/2"])"));
  CAF_CHECK_EQUAL(paged["total"], 2);
  CAF_CHECK_EQUAL(paged["page"], 2);
  CAF_CHECK_EQUAL(paged["limit"], 1);
  CAF_CHECK_EQUAL(paged["filter"], "c/*");
}

CAF_TEST(preflight and metrics) {
  fixture f;
  auto pre = f.call("OPTIONS", "/anything");
  CAF_CHECK_EQUAL(pre.status, 204u);
  CAF_CHECK(has_cors(pre));
  bool methods = false;
  for (auto& [name, value] : pre.headers)
    if (name == "Access-Control-Allow-Methods")
      methods = value.find("PATCH") != std::string::npos && value.find("DELETE") != std::string::npos;
  CAF_CHECK(methods);
  f.call("POST", "/m", "1");
  f.call("GET", "/missing");
  auto m = f.call("GET", "/metrics");
  CAF_CHECK_EQUAL(m.status, 200u);
  CAF_CHECK(m.body.find("ooo_http_requests_total{op=\"set\"} 1") != std::string::npos);
  CAF_CHECK(m.body.find("ooo_http_errors_total{op=\"get\",status=\"404\"} 1")
            != std::string::npos);
  CAF_CHECK(m.body.find("ooo_store_keys 1") != std::string::npos);
  CAF_CHECK(m.body.find("ooo_http_request_duration_seconds_bucket{op=\"set\"") != std::string::npos);
}

CAF_TEST(with a token every route but the preflight wants it) {
  fixture f{"t0ken"};
  auto denied = f.call("GET", "/");
  CAF_CHECK_EQUAL(denied.status, 401u);
  CAF_CHECK_EQUAL(denied.body, "ooo: request is not authorized");
  CAF_CHECK_EQUAL(f.call("POST", "/k", "1", "Bearer wrong").status, 401u);
  CAF_CHECK_EQUAL(f.call("GET", "/metrics").status, 401u);
  CAF_CHECK_EQUAL(f.call("OPTIONS", "/k").status, 204u);
  CAF_CHECK_EQUAL(f.call("POST", "/k", "1", "Bearer t0ken").status, 200u);
  CAF_CHECK_EQUAL(f.call("GET", "/k", "", "Bearer t0ken").status, 200u);
  CAF_CHECK_EQUAL(f.call("GET", "/metrics", "", "Bearer t0ken").status, 200u);
  http_request up;
  up.target = "/k?v=1a";
  CAF_CHECK(f.r->plan_upgrade(up).refusal);
  up.protocols = "bearer, t0ken";
  auto plan = f.r->plan_upgrade(up);
  CAF_CHECK(!plan.refusal);
  CAF_CHECK(plan.select_bearer);
  CAF_CHECK_EQUAL(plan.key, "k");
  CAF_CHECK_EQUAL(plan.version, std::optional<uint64_t>{0x1a});
  up.target = "/";
  CAF_CHECK(f.r->plan_upgrade(up).clock);
  up.target = "/bad//key";
  CAF_CHECK_EQUAL(f.r->plan_upgrade(up).refusal->status, 400u);
}

#define CAF_SUITE gateway_protocol
#include "caf/test/dsl.hpp"

#include <cstdio>
#include <fstream>
#include <string>

#include <sys/stat.h>
#include <unistd.h>

#include "gateway/auth.hpp"
#include "gateway/frame.hpp"
#include "gateway/gateway_config.hpp"
#include "gateway/object_json.hpp"
#include "gateway/request_body.hpp"
#include "gateway/static_files.hpp"
#include "gateway/target.hpp"

using namespace ooo::storage;
using namespace ooo::storage::gateway;

namespace {

std::string text(const bytes& x) {
  return std::string(x.begin(), x.end());
}

std::string temp_dir() {
  char name[] = "/tmp/ooo-gateway-test-XXXXXX";
  auto dir = ::mkdtemp(name);
  CAF_REQUIRE(dir != nullptr);
  return dir;
}

void write_file(const std::string& path, const std::string& content) {
  std::ofstream out{path, std::ios::binary};
  out << content;
}

} // namespace

CAF_TEST(frames are the ooo envelope with the version in hex) {
  CAF_CHECK_EQUAL(frame(true, 255, "[]"), R"({"snapshot":true,"version":"ff","data":[]})");
  CAF_CHECK_EQUAL(frame(false, 0, R"([{"op":"remove","path":"/0"}])"),
                  R"({"snapshot":false,"version":"0","data":[{"op":"remove","path":"/0"}]})");
  CAF_CHECK_EQUAL(version_text(0x18ecb889dc8e3e4bull), "18ecb889dc8e3e4b");
  CAF_CHECK_EQUAL(parse_version("ff"), std::optional<uint64_t>{255});
  CAF_CHECK_EQUAL(parse_version("FF"), std::optional<uint64_t>{255});
  CAF_CHECK(!parse_version(""));
  CAF_CHECK(!parse_version("-1"));
  CAF_CHECK(!parse_version("12g"));
  CAF_CHECK(!parse_version("12345678901234567"));
}

CAF_TEST(objects render as ooo renders them) {
  object x;
  x.path = "users/42";
  x.created = 7;
  x.updated = 9;
  std::string data = R"({"name":"ada 🧮"})";
  x.data = bytes(data.begin(), data.end());
  CAF_CHECK_EQUAL(render_object(x),
                  R"({"created":7,"updated":9,"index":"42","path":"users/42","data":{"name":"ada 🧮"}})");
  CAF_CHECK_EQUAL(dump(object_value(x)), render_object(x));
  std::string plain = "hi";
  x.data = bytes(plain.begin(), plain.end());
  CAF_CHECK_EQUAL(render_object(x),
                  R"({"created":7,"updated":9,"index":"42","path":"users/42","data":"hi"})");
  CAF_CHECK_EQUAL(render_list({}), "[]");
  CAF_CHECK_EQUAL(dump(empty_object_value()), empty_object_text);
}

CAF_TEST(bodies must be one JSON value) {
  auto ok = check_json_body("  {\"a\": 12345678901234567890123}\n");
  CAF_REQUIRE(ok.value);
  // Stored as sent (every digit kept), without the surrounding whitespace.
  CAF_CHECK_EQUAL(text(*ok.value), "{\"a\": 12345678901234567890123}");
  CAF_CHECK(check_json_body("\"just a string\"").value);
  CAF_CHECK(check_json_body("null").value);
  auto empty = check_json_body(" \n");
  CAF_CHECK(!empty.value);
  CAF_CHECK_EQUAL(empty.error, "ooo: invalid JSON: empty body");
  auto broken = check_json_body("{\"a\":");
  CAF_CHECK(!broken.value);
  CAF_CHECK_EQUAL(broken.error.rfind("ooo: invalid JSON: ", 0), 0u);
  CAF_CHECK(!check_json_body("{} {}").value);
}

CAF_TEST(a merge patch follows RFC 7396) {
  std::string current = R"({"a":"b","c":{"d":"e","f":"g"}})";
  auto merged = merge_json(bytes(current.begin(), current.end()), R"({"a":"z","c":{"f":null}})");
  CAF_REQUIRE(merged.value);
  CAF_CHECK_EQUAL(text(*merged.value), R"({"a":"z","c":{"d":"e"}})");
  auto replaced = merge_json(bytes(current.begin(), current.end()), R"(["x"])");
  CAF_REQUIRE(replaced.value);
  CAF_CHECK_EQUAL(text(*replaced.value), R"(["x"])");
  std::string not_json = "x";
  CAF_CHECK(!merge_json(bytes(not_json.begin(), not_json.end()), R"({"a":1})").value);
  CAF_CHECK(!merge_json(bytes(current.begin(), current.end()), "{").value);
}

CAF_TEST(bearer tokens come as a header or as sub-protocols) {
  bearer_auth open;
  CAF_CHECK(!open.enabled());
  CAF_CHECK(open.allows_header(""));
  bearer_auth auth{"s3cret.token"};
  CAF_CHECK(auth.allows_header("Bearer s3cret.token"));
  CAF_CHECK(auth.allows_header("bearer  s3cret.token "));
  CAF_CHECK(!auth.allows_header("Bearer s3cret.toke"));
  CAF_CHECK(!auth.allows_header("Bearer s3cret.token2"));
  CAF_CHECK(!auth.allows_header("Basic s3cret.token"));
  CAF_CHECK(!auth.allows_header(""));
  CAF_CHECK(auth.allows_protocols("bearer, s3cret.token"));
  CAF_CHECK(!auth.allows_protocols("s3cret.token"));
  CAF_CHECK(!auth.allows_protocols("bearer, other"));
  CAF_CHECK(!auth.allows_protocols("bearer"));
  CAF_CHECK(bearer_auth::offers_bearer("chat, bearer"));
  CAF_CHECK(!bearer_auth::offers_bearer("chat"));
}

CAF_TEST(targets split into a decoded path and parameters) {
  auto t = parse_target("/users/%2A?v=1f&api=keys&filter=a+b");
  CAF_REQUIRE(t);
  CAF_CHECK_EQUAL(t->path, "/users/*");
  CAF_CHECK_EQUAL(t->param("v"), std::optional<std::string>{"1f"});
  CAF_CHECK_EQUAL(t->param("filter"), std::optional<std::string>{"a b"});
  CAF_CHECK(!t->param("page"));
  CAF_CHECK(!parse_target("users"));
  CAF_CHECK(!parse_target("/bad%2"));
  CAF_CHECK(!parse_target("/bad%zz"));
}

CAF_TEST(static files stay inside their directory) {
  auto dir = temp_dir();
  write_file(dir + "/page.html", "<p>hi</p>");
  ::mkdir((dir + "/sub").c_str(), 0700);
  write_file(dir + "/sub/app.js", "1");
  write_file(dir + "/.hidden", "x");
  static_files files{dir};
  auto page = files.serve("page.html");
  CAF_CHECK_EQUAL(page.status, 200u);
  CAF_CHECK_EQUAL(page.body, "<p>hi</p>");
  CAF_CHECK_EQUAL(page.content_type, "text/html; charset=utf-8");
  CAF_CHECK_EQUAL(files.serve("sub/app.js").content_type, "text/javascript; charset=utf-8");
  CAF_CHECK_EQUAL(files.serve("../etc/passwd").status, 404u);
  CAF_CHECK_EQUAL(files.serve("sub/../page.html").status, 404u);
  CAF_CHECK_EQUAL(files.serve(".hidden").status, 404u);
  CAF_CHECK_EQUAL(files.serve("sub").status, 404u);
  CAF_CHECK_EQUAL(files.serve("missing.html").status, 404u);
  ::symlink("/etc/hostname", (dir + "/link").c_str());
  CAF_CHECK_EQUAL(files.serve("link").status, 404u);
  CAF_CHECK_EQUAL(static_files{""}.serve("page.html").status, 404u);
  std::remove((dir + "/link").c_str());
  std::remove((dir + "/sub/app.js").c_str());
  ::rmdir((dir + "/sub").c_str());
  std::remove((dir + "/page.html").c_str());
  std::remove((dir + "/.hidden").c_str());
  ::rmdir(dir.c_str());
}

CAF_TEST(gateway options are checked and name what is wrong) {
  gateway_config cfg;
  auto off = cfg.settings();
  CAF_REQUIRE(off);
  CAF_CHECK(!off->enabled);
  cfg.http = "127.0.0.1:8880";
  auto on = cfg.settings();
  CAF_REQUIRE(on);
  CAF_CHECK(on->enabled);
  CAF_CHECK_EQUAL(on->host, "127.0.0.1");
  CAF_CHECK_EQUAL(on->port, 8880);
  auto message = [](const caf::expected<gateway_settings>& x) {
    return x ? std::string{} : to_string(x.error().context());
  };
  for (auto bad : {"8880", "host:", "host:99999", "host:80x", ":80"}) {
    cfg.http = bad;
    auto res = cfg.settings();
    CAF_CHECK(!res);
    CAF_CHECK(message(res).find("--http") != std::string::npos);
  }
  cfg.http = "127.0.0.1:0";
  cfg.token_file = "/nonexistent/token";
  CAF_CHECK(message(cfg.settings()).find("--http-token-file") != std::string::npos);
  auto dir = temp_dir();
  write_file(dir + "/token", "abc.def\n");
  cfg.token_file = dir + "/token";
  auto with_token = cfg.settings();
  CAF_REQUIRE(with_token);
  CAF_CHECK_EQUAL(with_token->token, "abc.def");
  write_file(dir + "/token", "\n");
  CAF_CHECK(!cfg.settings());
  write_file(dir + "/token", "has space");
  CAF_CHECK(!cfg.settings());
  cfg.token_file.clear();
  cfg.max_connections = 0;
  CAF_CHECK(message(cfg.settings()).find("--http-max-connections") != std::string::npos);
  cfg.max_connections = 10;
  cfg.idle_timeout = 1;
  CAF_CHECK(message(cfg.settings()).find("--http-idle-timeout") != std::string::npos);
  cfg.idle_timeout = 60;
  cfg.static_dir = dir + "/token";
  CAF_CHECK(message(cfg.settings()).find("--http-static") != std::string::npos);
  std::remove((dir + "/token").c_str());
  ::rmdir(dir.c_str());
}

#include "gateway/routes.hpp"

#include <algorithm>

#include "gateway/frame.hpp"
#include "gateway/object_json.hpp"
#include "gateway/request_body.hpp"
#include "gateway/target.hpp"
#include "messages/errc.hpp"
#include "messages/key.hpp"

#include "caf/sec.hpp"

namespace ooo::storage::gateway {

namespace {

// ooo's error texts (errors.go, key/key.go), so that clients matching on them keep working.
constexpr const char* invalid_key_text = "ooo: key is not valid";
constexpr const char* not_found_text = "ooo: not found";
constexpr const char* empty_key_text = "ooo: empty key";
constexpr const char* glob_not_allowed_text = "ooo: glob pattern not allowed for this operation";
constexpr const char* not_authorized_text = "ooo: request is not authorized";
constexpr const char* deadline_text = "ooo: server deadline reached";

/// A merge patch reads, merges and writes back only if nobody wrote in between; this many
/// tries, then 409.
constexpr int patch_attempts = 8;

http_response index_answer(const std::string& key) {
  json body;
  body["index"] = std::string{last_segment(key)};
  return json_answer(200, dump(body));
}

http_response method_not_allowed() {
  return text_answer(405, "Method Not Allowed");
}

/// Which key rule a POST key breaks, in ooo's words; nothing if it is fine.
std::optional<http_response> check_post_key(const std::string& key) {
  if (check_pattern(key) != errc::none)
    return text_answer(400, invalid_key_text);
  if (!is_glob(key))
    return std::nullopt;
  auto rule = check_push_pattern(key);
  if (rule == errc::none)
    return std::nullopt;
  // ooo's ValidateGlob: one glob, and only at the end.
  auto globs = std::count(key.begin(), key.end(), '*');
  return text_answer(400, globs > 1 ? "key: contains more than one glob pattern"
                                    : "key: glob pattern must be at the end of the path");
}

} // namespace

http_response store_failure(const caf::error& err) {
  if (err.category() == caf::atom("system")
      && err.code() == static_cast<uint8_t>(caf::sec::request_timeout))
    return text_answer(503, deadline_text);
  if (err.category() != error_category)
    return text_answer(500, "ooo: " + to_string(err));
  auto detail = render(err);
  switch (static_cast<errc>(err.code())) {
    case errc::not_found:
      return text_answer(404, not_found_text);
    case errc::invalid_path:
      return text_answer(400, invalid_key_text);
    case errc::glob_not_allowed:
      return text_answer(400, glob_not_allowed_text);
    case errc::glob_required:
      return text_answer(400, "ooo: glob pattern required for this operation");
    case errc::invalid_data:
      return text_answer(400, "ooo: invalid storage data (empty)");
    case errc::too_large:
      return text_answer(413, "Request Entity Too Large");
    case errc::conflict:
      return text_answer(409, "ooo: " + detail);
    case errc::not_active:
      return text_answer(503, "ooo: " + detail);
    // A node of a replicated group that cannot serve this: the text names the leader
    // (`not_leader: HOST:PORT` of its CAF port) or says to retry.
    case errc::not_leader:
    case errc::unavailable:
    case errc::leadership_lost:
      return text_answer(503, "ooo: " + detail);
    default:
      return text_answer(500, "ooo: " + detail);
  }
}

routes::routes(store_client& store, gateway_metrics& metrics, const gateway_settings& settings)
  : store_(store),
    metrics_(metrics),
    auth_(settings.token),
    open_metrics_(settings.open_metrics),
    files_(settings.static_dir) {
  // nop
}

void routes::count(operation op, unsigned status, std::chrono::nanoseconds took) {
  metrics_.answered(op, status, took);
}

void routes::handle(http_request req, std::function<void(http_response)> done) {
  auto began = clock::now();
  auto op = operation::other;
  // Every answer passes here: CORS headers and the metrics.
  auto finish = [this, began, &op, done](http_response res) {
    with_cors(res);
    metrics_.answered(op, res.status, clock::now() - began);
    done(std::move(res));
  };
  // `finish` captures `op` by reference for the synchronous answers below; asynchronous ones
  // get a copy with the operation fixed.
  auto later = [this, began, done](operation fixed) {
    return [this, began, done, fixed](http_response res) {
      with_cors(res);
      metrics_.answered(fixed, res.status, clock::now() - began);
      done(std::move(res));
    };
  };
  if (req.method == "OPTIONS") {
    op = operation::preflight;
    http_response res;
    res.status = 204;
    res.headers.emplace_back("Access-Control-Allow-Methods", "GET, POST, PATCH, DELETE, OPTIONS");
    res.headers.emplace_back("Access-Control-Allow-Headers", "Authorization, Content-Type");
    res.headers.emplace_back("Access-Control-Max-Age", "600");
    return finish(std::move(res));
  }
  auto t = parse_target(req.target);
  if (!t)
    return finish(text_answer(400, "ooo: malformed request target"));
  if (t->path == "/metrics" && req.method == "GET") {
    op = operation::metrics;
    if (!open_metrics_ && !auth_.allows_header(req.authorization))
      return finish(text_answer(401, not_authorized_text));
    return metrics_text(later(op));
  }
  if (!auth_.allows_header(req.authorization)) {
    auto res = text_answer(401, not_authorized_text);
    res.headers.emplace_back("WWW-Authenticate", "Bearer");
    return finish(std::move(res));
  }
  if (t->path.compare(0, static_prefix.size(), static_prefix) == 0) {
    op = operation::page;
    if (req.method != "GET")
      return finish(method_not_allowed());
    return finish(files_.serve(std::string_view{t->path}.substr(static_prefix.size())));
  }
  if (t->path == "/") {
    op = operation::keys;
    if (req.method != "GET")
      return finish(method_not_allowed());
    return get_root(*t, later(op));
  }
  auto key = t->path.substr(1);
  bool glob = check_pattern(key) == errc::none && is_glob(key);
  if (req.method == "GET") {
    op = glob ? operation::list : operation::get;
    return get_key(key, later(op));
  }
  if (req.method == "POST") {
    op = glob ? operation::push : operation::set;
    return post_key(key, std::move(req.body), later(op));
  }
  if (req.method == "PATCH") {
    op = operation::patch;
    return patch_key(std::move(key), std::move(req.body), later(op), patch_attempts);
  }
  if (req.method == "DELETE") {
    op = operation::del;
    return delete_key(key, later(op));
  }
  finish(method_not_allowed());
}

void routes::get_root(const target& t, respond done) {
  auto api = t.param("api");
  if (api && *api != "keys")
    return done(text_answer(404, "ooo: unknown api '" + *api + "'"));
  if (!api) {
    store_.keys([done](caf::expected<std::vector<std::string>> keys) {
      if (!keys)
        return done(store_failure(keys.error()));
      json body;
      body["keys"] = std::move(*keys);
      done(json_answer(200, dump(body)));
    });
    return;
  }
  // Current ooo's explorer API: filter (a glob's prefix, or a plain prefix), page, limit.
  auto filter = t.param("filter").value_or("");
  auto number = [&](const char* name, long fallback, long max) {
    auto text = t.param(name);
    if (!text)
      return fallback;
    char* end = nullptr;
    auto value = std::strtol(text->c_str(), &end, 10);
    return end != text->c_str() && *end == '\0' && value > 0 && value <= max ? value : fallback;
  };
  auto page = number("page", 1, 1L << 30);
  auto limit = number("limit", 50, 500);
  store_.keys([done, filter, page, limit](caf::expected<std::vector<std::string>> keys) {
    if (!keys)
      return done(store_failure(keys.error()));
    auto prefix = filter.substr(0, filter.find('*'));
    std::vector<std::string> matching;
    for (auto& k : *keys)
      if (k.compare(0, prefix.size(), prefix) == 0)
        matching.push_back(std::move(k));
    auto total = matching.size();
    auto start = std::min(total, static_cast<size_t>(page - 1) * static_cast<size_t>(limit));
    auto end = std::min(total, start + static_cast<size_t>(limit));
    json body;
    body["keys"] = std::vector<std::string>(std::make_move_iterator(matching.begin() + start),
                                            std::make_move_iterator(matching.begin() + end));
    body["total"] = total;
    body["page"] = page;
    body["limit"] = limit;
    body["filter"] = filter;
    done(json_answer(200, dump(body) + "\n"));
  });
}

void routes::get_key(const std::string& key, respond done) {
  if (check_pattern(key) != errc::none)
    return done(text_answer(400, invalid_key_text));
  if (is_glob(key)) {
    store_.list(key, [done](caf::expected<std::vector<object>> xs) {
      if (!xs)
        return done(store_failure(xs.error()));
      done(json_answer(200, render_list(*xs)));
    });
    return;
  }
  store_.get(key, [done](caf::expected<object> x) {
    if (!x) {
      if (is(x.error(), errc::not_found))
        return done(text_answer(404, empty_key_text));
      return done(store_failure(x.error()));
    }
    done(json_answer(200, render_object(*x)));
  });
}

void routes::post_key(const std::string& key, std::string body, respond done) {
  if (auto refusal = check_post_key(key))
    return done(std::move(*refusal));
  auto checked = check_json_body(body);
  if (!checked.value)
    return done(text_answer(400, checked.error));
  auto answer = [done](caf::expected<receipt> r) {
    if (!r)
      return done(store_failure(r.error()));
    done(index_answer(r->key));
  };
  if (is_glob(key))
    store_.push(key, std::move(*checked.value), answer);
  else
    store_.set(key, std::move(*checked.value), -1, answer);
}

void routes::patch_key(std::string key, std::string body, respond done, int attempts_left) {
  if (check_pattern(key) != errc::none)
    return done(text_answer(400, invalid_key_text));
  if (is_glob(key))
    return done(text_answer(400, glob_not_allowed_text));
  auto checked = check_json_body(body);
  if (!checked.value)
    return done(text_answer(400, checked.error));
  store_.get(key, [this, key, body = std::move(body), done,
                   attempts_left](caf::expected<object> current) mutable {
    if (!current) {
      if (is(current.error(), errc::not_found))
        return done(text_answer(404, not_found_text));
      return done(store_failure(current.error()));
    }
    auto merged = merge_json(current->data, body);
    if (!merged.value)
      return done(text_answer(400, merged.error));
    // Written only over the revision that was merged, else merged again.
    auto expected = static_cast<int64_t>(current->revision);
    store_.set(key, std::move(*merged.value), expected,
               [this, key, body = std::move(body), done,
                attempts_left](caf::expected<receipt> r) mutable {
                 if (r)
                   return done(index_answer(r->key));
                 if (is(r.error(), errc::conflict) && attempts_left > 1)
                   return patch_key(std::move(key), std::move(body), done, attempts_left - 1);
                 done(store_failure(r.error()));
               });
  });
}

void routes::delete_key(const std::string& key, respond done) {
  if (check_pattern(key) != errc::none)
    return done(text_answer(400, invalid_key_text));
  store_.del(key, [done](caf::expected<deleted> n) {
    if (!n)
      return done(store_failure(n.error()));
    http_response res;
    res.status = 204;
    done(std::move(res));
  });
}

void routes::metrics_text(respond done) {
  store_.stats([this, done](caf::expected<store_stats> stats) {
    if (!stats)
      return done(store_failure(stats.error()));
    auto res = text_answer(200, metrics_.render(*stats));
    res.content_type = "text/plain; version=0.0.4; charset=utf-8";
    done(std::move(res));
  });
}

upgrade_plan routes::plan_upgrade(const http_request& req) const {
  upgrade_plan plan;
  plan.select_bearer = bearer_auth::offers_bearer(req.protocols);
  auto refuse = [&](unsigned status, std::string text) {
    auto res = text_answer(status, std::move(text));
    with_cors(res);
    plan.refusal = std::move(res);
    return plan;
  };
  auto t = parse_target(req.target);
  if (!t)
    return refuse(400, "ooo: malformed request target");
  if (!auth_.allows_header(req.authorization) && !auth_.allows_protocols(req.protocols))
    return refuse(401, not_authorized_text);
  if (t->path == "/") {
    plan.clock = true;
    return plan;
  }
  plan.key = t->path.substr(1);
  if (check_pattern(plan.key) != errc::none)
    return refuse(400, invalid_key_text);
  if (auto v = t->param("v"))
    plan.version = parse_version(*v);
  return plan;
}

} // namespace ooo::storage::gateway

#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "gateway/auth.hpp"
#include "gateway/gateway_config.hpp"
#include "gateway/http_types.hpp"
#include "gateway/metrics.hpp"
#include "gateway/static_files.hpp"
#include "gateway/store_client.hpp"

namespace ooo::storage::gateway {

/// What a WebSocket upgrade asks for, once the routes accepted it.
struct upgrade_plan {
  /// Set: the upgrade is refused with this answer.
  std::optional<http_response> refusal;
  /// The clock (`/`) rather than a subscription.
  bool clock = false;
  /// The key or pattern to subscribe to.
  std::string key;
  /// `?v=` of a reconnecting client, if it is a version.
  std::optional<uint64_t> version;
  /// Answer with the `bearer` sub-protocol (the client offered it).
  bool select_bearer = false;
};

/// ooo's REST routes on top of the store, independent of the HTTP library:
///
/// | request | answer |
/// |---|---|
/// | `POST /KEY` (JSON body) | set; `/PATTERN/*`: push. `{"index":"..."}` |
/// | `PATCH /KEY` (JSON body) | RFC 7396 merge patch of the stored value. `{"index":"..."}` |
/// | `GET /KEY` | the object; `/PATTERN`: the array, newest first; 404 for a missing key |
/// | `DELETE /KEY` or `/PATTERN` | 204 |
/// | `GET /` | `{"keys":[...]}` (ooo-client 1.0's `stats()`); `?api=keys`: current ooo's paged form |
/// | `GET /metrics` | Prometheus text |
/// | `GET /_static/FILE` | a file of `--http-static` |
/// | `OPTIONS *` | CORS preflight |
///
/// Errors are ooo's plain-text bodies with its status codes: 400 invalid key / JSON / glob, 401
/// without the token, 404, 405, 409 (a merge patch that kept losing races), 413, 500, 503.
class routes {
public:
  routes(store_client& store, gateway_metrics& metrics, const gateway_settings& settings);

  /// Answers a request that is no WebSocket upgrade. `done` runs exactly once, on any thread.
  void handle(http_request req, std::function<void(http_response)> done);

  /// Decides a WebSocket upgrade (key, version, token).
  upgrade_plan plan_upgrade(const http_request& req) const;

  /// Counts an answer the HTTP layer produced itself (413, 503, malformed requests).
  void count(operation op, unsigned status, std::chrono::nanoseconds took = {});

private:
  using clock = std::chrono::steady_clock;
  using respond = std::function<void(http_response)>;

  void get_root(const struct target& t, respond done);
  void get_key(const std::string& key, respond done);
  void post_key(const std::string& key, std::string body, respond done);
  void patch_key(std::string key, std::string body, respond done, int attempts_left);
  void delete_key(const std::string& key, respond done);
  void metrics_text(respond done);

  store_client& store_;
  gateway_metrics& metrics_;
  bearer_auth auth_;
  bool open_metrics_;
  static_files files_;
};

/// The answer for a store error, as ooo words it.
http_response store_failure(const caf::error& err);

} // namespace ooo::storage::gateway

#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "messages/object.hpp"

namespace ooo::storage::gateway {

/// What the gateway counts per request, the `op` label of its metrics.
enum class operation {
  get,       ///< GET of one key
  list,      ///< GET of a pattern
  keys,      ///< GET / (the key list)
  set,       ///< POST of a key
  push,      ///< POST of a pattern ending in `/*`
  patch,     ///< PATCH (merge patch)
  del,       ///< DELETE of a key or pattern
  subscribe, ///< WebSocket upgrade on a key or pattern
  clock,     ///< WebSocket upgrade on `/`
  metrics,   ///< GET /metrics
  page,      ///< a file of the static directory
  preflight, ///< OPTIONS (CORS)
  other,     ///< anything that matched no route
};

const char* to_string(operation op);

/// The gateway's Prometheus metrics (prometheus-cpp): requests and errors per operation,
/// request latency histograms, connections, WebSocket sessions and frames, plus the store's
/// own counters (`store_stats`), rendered at scrape time. Thread-safe.
class gateway_metrics {
public:
  gateway_metrics();
  ~gateway_metrics();

  /// One answered request: counted per operation, an error (status >= 400) also per status,
  /// and its latency from the complete request to the answer.
  void answered(operation op, unsigned status, std::chrono::nanoseconds took);

  void connection_opened();
  void connection_closed();
  /// A connection refused because `--http-max-connections` were open.
  void connection_refused();

  void session_opened();
  void session_closed();
  /// A WebSocket data frame sent: a snapshot or a patch, of `size` bytes.
  void frame_sent(bool snapshot, size_t size);
  /// A subscriber fell behind and got a fresh snapshot.
  void resynced();

  /// The Prometheus text exposition of everything, with the store's numbers as of `stats`.
  std::string render(const store_stats& stats);

private:
  struct families;
  std::unique_ptr<families> f_;
};

} // namespace ooo::storage::gateway

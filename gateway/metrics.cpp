#include "gateway/metrics.hpp"

#include <array>
#include <mutex>
#include <sstream>

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

namespace ooo::storage::gateway {

namespace pm = prometheus;

const char* to_string(operation op) {
  switch (op) {
    case operation::get: return "get";
    case operation::list: return "list";
    case operation::keys: return "keys";
    case operation::set: return "set";
    case operation::push: return "push";
    case operation::patch: return "patch";
    case operation::del: return "delete";
    case operation::subscribe: return "subscribe";
    case operation::clock: return "clock";
    case operation::metrics: return "metrics";
    case operation::page: return "page";
    case operation::preflight: return "preflight";
    case operation::other: return "other";
  }
  return "other";
}

namespace {

constexpr size_t operation_count = static_cast<size_t>(operation::other) + 1;

/// 100 us .. ~26 s in factors of 4: a sync write costs ~0.2-2 ms, a big list far more.
pm::Histogram::BucketBoundaries latency_buckets() {
  pm::Histogram::BucketBoundaries result;
  for (double b = 0.0001; b < 30; b *= 4)
    result.push_back(b);
  return result;
}

} // namespace

struct gateway_metrics::families {
  pm::Registry registry;
  pm::Family<pm::Counter>& requests = pm::BuildCounter()
                                        .Name("ooo_http_requests_total")
                                        .Help("HTTP requests answered, by operation")
                                        .Register(registry);
  pm::Family<pm::Counter>& errors = pm::BuildCounter()
                                      .Name("ooo_http_errors_total")
                                      .Help("HTTP answers with status >= 400, by operation and status")
                                      .Register(registry);
  pm::Family<pm::Histogram>& latency
    = pm::BuildHistogram()
        .Name("ooo_http_request_duration_seconds")
        .Help("Time from a complete request to its answer, by operation")
        .Register(registry);
  pm::Family<pm::Gauge>& connections_family = pm::BuildGauge()
                                                .Name("ooo_http_connections")
                                                .Help("Open HTTP and WebSocket connections")
                                                .Register(registry);
  pm::Family<pm::Counter>& refused_family
    = pm::BuildCounter()
        .Name("ooo_http_connections_refused_total")
        .Help("Connections refused because the connection limit was reached")
        .Register(registry);
  pm::Family<pm::Gauge>& sessions_family = pm::BuildGauge()
                                             .Name("ooo_ws_sessions")
                                             .Help("Open WebSocket subscriptions and clocks")
                                             .Register(registry);
  pm::Family<pm::Counter>& frames_family = pm::BuildCounter()
                                             .Name("ooo_ws_frames_total")
                                             .Help("WebSocket data frames sent, by kind")
                                             .Register(registry);
  pm::Family<pm::Counter>& frame_bytes_family = pm::BuildCounter()
                                                  .Name("ooo_ws_frame_bytes_total")
                                                  .Help("Bytes of WebSocket data frames sent")
                                                  .Register(registry);
  pm::Family<pm::Counter>& resyncs_family
    = pm::BuildCounter()
        .Name("ooo_ws_resyncs_total")
        .Help("Fresh snapshots sent because a subscriber fell behind and lost events")
        .Register(registry);
  pm::Family<pm::Gauge>& persistence
    = pm::BuildGauge()
        .Name("ooo_persistence")
        .Help("RocksDB's own statistics (compactions, pending bytes, write stalls), by property")
        .Register(registry);

  std::array<pm::Counter*, operation_count> request_counters{};
  std::array<pm::Histogram*, operation_count> latencies{};
  pm::Gauge& connections = connections_family.Add({});
  pm::Counter& refused = refused_family.Add({});
  pm::Gauge& sessions = sessions_family.Add({});
  pm::Counter& snapshots = frames_family.Add({{"kind", "snapshot"}});
  pm::Counter& patches = frames_family.Add({{"kind", "patch"}});
  pm::Counter& frame_bytes = frame_bytes_family.Add({});
  pm::Counter& resyncs = resyncs_family.Add({});
  /// The store's own numbers (`stats`), one metric each, set at every scrape.
  pm::Gauge& keys = store_gauge("ooo_store_keys", "Keys in the store");
  pm::Gauge& revision = store_gauge("ooo_store_revision", "Newest committed revision");
  pm::Gauge& shards = store_gauge("ooo_store_shards", "Shard actors");
  pm::Gauge& subscribers = store_gauge("ooo_store_subscribers", "Subscriptions of the store "
                                                                "(the gateway's and others')");
  pm::Gauge& dropped = store_gauge("ooo_store_dropped_events",
                                   "Events drop-mode subscribers lost by falling behind (counter)");
  pm::Gauge& max_lag = store_gauge("ooo_store_max_lag", "Revisions the furthest-behind "
                                                        "subscriber has yet to receive");
  pm::Gauge& history = store_gauge("ooo_store_history_events", "Events retained for resume");
  pm::Gauge& locks = store_gauge("ooo_store_locks", "Keys locked");
  pm::Gauge& lock_waiters = store_gauge("ooo_store_lock_waiters", "Writers waiting for a lock");
  pm::Gauge& commit_batches = store_gauge("ooo_store_commit_batches",
                                          "Writes of the persistent layer, one fsync each in sync "
                                          "mode (counter)");
  pm::Gauge& commit_changes = store_gauge("ooo_store_commit_changes",
                                          "Changes those writes carried; changes / batches is "
                                          "the group-commit size (counter)");
  /// Serializes scrapes: the store gauges are set and read as one step.
  std::mutex render_mutex;

  pm::Gauge& store_gauge(const char* name, const char* help) {
    return pm::BuildGauge().Name(name).Help(help).Register(registry).Add({});
  }

  families() {
    for (size_t i = 0; i < operation_count; ++i) {
      auto name = to_string(static_cast<operation>(i));
      request_counters[i] = &requests.Add({{"op", name}});
      latencies[i] = &latency.Add({{"op", name}}, latency_buckets());
    }
  }
};

gateway_metrics::gateway_metrics() : f_(std::make_unique<families>()) {
  // nop
}

gateway_metrics::~gateway_metrics() = default;

void gateway_metrics::answered(operation op, unsigned status, std::chrono::nanoseconds took) {
  auto i = static_cast<size_t>(op);
  f_->request_counters[i]->Increment();
  f_->latencies[i]->Observe(std::chrono::duration<double>(took).count());
  if (status >= 400)
    f_->errors.Add({{"op", to_string(op)}, {"status", std::to_string(status)}}).Increment();
}

void gateway_metrics::connection_opened() {
  f_->connections.Increment();
}

void gateway_metrics::connection_closed() {
  f_->connections.Decrement();
}

void gateway_metrics::connection_refused() {
  f_->refused.Increment();
}

void gateway_metrics::session_opened() {
  f_->sessions.Increment();
}

void gateway_metrics::session_closed() {
  f_->sessions.Decrement();
}

void gateway_metrics::frame_sent(bool snapshot, size_t size) {
  (snapshot ? f_->snapshots : f_->patches).Increment();
  f_->frame_bytes.Increment(static_cast<double>(size));
}

void gateway_metrics::resynced() {
  f_->resyncs.Increment();
}

std::string gateway_metrics::render(const store_stats& stats) {
  std::lock_guard<std::mutex> guard{f_->render_mutex};
  auto put = [](pm::Gauge& g, uint64_t value) { g.Set(static_cast<double>(value)); };
  put(f_->keys, stats.keys);
  put(f_->revision, stats.revision);
  put(f_->shards, stats.shards);
  put(f_->subscribers, stats.subscribers);
  put(f_->dropped, stats.dropped_events);
  put(f_->max_lag, stats.max_lag);
  put(f_->history, stats.history);
  put(f_->locks, stats.locks);
  put(f_->lock_waiters, stats.lock_waiters);
  put(f_->commit_batches, stats.commit_batches);
  put(f_->commit_changes, stats.commit_changes);
  for (auto& [name, value] : stats.persistence)
    f_->persistence.Add({{"property", name}}).Set(static_cast<double>(value));
  std::ostringstream out;
  pm::TextSerializer{}.Serialize(out, f_->registry.Collect());
  return out.str();
}

} // namespace ooo::storage::gateway

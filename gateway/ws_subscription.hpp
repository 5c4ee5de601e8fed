#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "gateway/live_view.hpp"
#include "gateway/metrics.hpp"
#include "gateway/store_client.hpp"
#include "gateway/ws_channel.hpp"

namespace ooo::storage::gateway {

/// One WebSocket subscription to a key or pattern, speaking ooo's protocol: first the state
/// (a snapshot frame), then one frame per change (per unit: a glob delete is one frame), each
/// an RFC 6902 patch against what this connection sent before, or a snapshot where a patch
/// makes no sense (from ooo's empty object, or for a glob delete). Every frame carries the
/// store revision its state reflects, in hex, as its `version`.
///
/// Getting the first state right, before the handshake completes as in ooo's server (so that
/// what the client writes once it sees the connection open comes as changes after it), and
/// subscribing before reading (so that nothing falls in between):
/// 1. ask the store's newest committed revision S;
/// 2. subscribe (drop mode), replaying from the client's `?v=` if it sent one, else from S;
/// 3. read the key or pattern; everything up to S is in it (a shard applies a change before
///    the event log can release it, and S was committed before the read);
/// 4. apply what the subscription delivered meanwhile (idempotent by revision) and send the
///    snapshot, stamped S (or the newest event applied).
/// A client that reconnects with `?v=V` gets no frame if no object is newer than V and no
/// event after V arrived; the first event that does arrive later is sent as a snapshot (a
/// delete after V may still have been on its way).
///
/// A slow reader: while its connection's queue is congested, batches are held back and not
/// acknowledged, so the store drops (and counts) further events instead of slowing anyone;
/// the store then says so (`lagged`), and the subscription reads a fresh state and sends it
/// as a snapshot.
class ws_subscription : public ws_peer,
                        public feed_sink,
                        public std::enable_shared_from_this<ws_subscription> {
public:
  ws_subscription(std::weak_ptr<ws_channel> channel, store_client& store,
                  gateway_metrics& metrics, std::string key, std::optional<uint64_t> version);
  ~ws_subscription() override;

  // -- ws_peer (on the connection's strand) ---------------------------------------------------
  void prepare(std::function<void()> ready) override;
  void opened() override;
  void drained() override;
  void closed() override;

  // -- feed_sink (on a CAF worker thread) -----------------------------------------------------
  void batch(uint64_t ticket, std::vector<event> events) override;
  void lagged(const ooo::storage::lagged& notice) override;

private:
  enum class phase { syncing, live, over };

  /// Runs `fn` on the connection's strand, or acknowledges nothing and drops it when the
  /// connection is gone.
  template <class F>
  void on_strand(F fn);

  void begin_sync();
  void subscribe(uint64_t committed, uint64_t since);
  void read(uint64_t committed);
  void finish_sync(uint64_t committed, std::vector<object> state);
  void on_batch(uint64_t ticket, std::vector<event> events);
  void on_lagged();
  void process(const std::vector<event>& events);
  void release_held();
  void send_snapshot();
  void send_patch(const json& ops);
  void fail(std::string reason);
  /// Lets the channel complete the handshake (once).
  void handshake();

  std::weak_ptr<ws_channel> channel_;
  store_client& store_;
  gateway_metrics& metrics_;
  std::string key_;
  /// The client's `?v=`; cleared once it no longer matters.
  std::optional<uint64_t> resume_;
  live_view view_;
  phase phase_ = phase::syncing;
  std::optional<uint64_t> subscription_;
  /// Set on the strand when the connection is over, read by store callbacks anywhere.
  std::atomic<bool> over_{false};
  /// The revision the client's state reflects (the `version` of the next frame).
  uint64_t stamp_ = 0;
  /// The client kept its state from `?v=` while `view_` was read now: the first change is
  /// sent as a snapshot.
  bool uncertain_ = false;
  /// Events delivered while syncing (acknowledged; applied once the read is in).
  std::vector<event> buffered_;
  /// Completes the handshake once the first state is in.
  std::function<void()> ready_;
  /// Batches held back while the connection is congested (not acknowledged yet).
  std::deque<std::pair<uint64_t, std::vector<event>>> held_;
};

} // namespace ooo::storage::gateway

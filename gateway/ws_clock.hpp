#pragma once

#include <chrono>
#include <memory>

#include "gateway/metrics.hpp"
#include "gateway/ws_channel.hpp"

namespace ooo::storage::gateway {

/// The clock on `/`: ooo sends the node's time, nanoseconds since the Unix epoch as decimal
/// text in a binary frame, at once and then every second (`ooo-client`'s time mode). The time
/// comes from the node's write clock, so it is comparable with `created` and `updated`.
class ws_clock : public ws_peer, public std::enable_shared_from_this<ws_clock> {
public:
  ws_clock(std::weak_ptr<ws_channel> channel, gateway_metrics& metrics,
           std::chrono::milliseconds tick = std::chrono::seconds{1});
  ~ws_clock() override;

  void opened() override;
  void drained() override;
  void closed() override;

private:
  void tick();

  std::weak_ptr<ws_channel> channel_;
  gateway_metrics& metrics_;
  std::chrono::milliseconds interval_;
  bool over_ = false;
};

} // namespace ooo::storage::gateway

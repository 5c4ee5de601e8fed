#include "gateway/ws_clock.hpp"

#include <string>

#include "messages/clock.hpp"

namespace ooo::storage::gateway {

ws_clock::ws_clock(std::weak_ptr<ws_channel> channel, gateway_metrics& metrics,
                   std::chrono::milliseconds tick)
  : channel_(std::move(channel)), metrics_(metrics), interval_(tick) {
  metrics_.session_opened();
}

ws_clock::~ws_clock() {
  metrics_.session_closed();
}

void ws_clock::opened() {
  tick();
}

void ws_clock::tick() {
  auto channel = channel_.lock();
  if (!channel || over_)
    return;
  // A reader that does not keep up with one small frame a second only misses ticks.
  if (!channel->congested())
    channel->send(std::to_string(next_timestamp()));
  channel->after(interval_, [self = shared_from_this()] { self->tick(); });
}

void ws_clock::drained() {
  // nop
}

void ws_clock::closed() {
  over_ = true;
}

} // namespace ooo::storage::gateway

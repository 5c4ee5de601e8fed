#pragma once

#include <functional>
#include <memory>

#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include "gateway/connection_slot.hpp"
#include "gateway/ws_channel.hpp"

namespace ooo::storage::gateway {

/// Makes the peer for a channel (it may keep the channel, weakly).
using peer_factory = std::function<std::shared_ptr<ws_peer>(std::weak_ptr<ws_channel>)>;

/// How a WebSocket connection behaves.
struct ws_options {
  std::chrono::seconds idle_timeout{60};
  /// Answer with the `bearer` sub-protocol.
  bool select_bearer = false;
};

/// Completes the upgrade `req` on `stream` and runs the connection until it closes; the
/// peer is made once the handshake succeeded. `slot` counts the connection until then.
void accept_websocket(boost::beast::tcp_stream stream,
                      boost::beast::http::request<boost::beast::http::string_body> req,
                      ws_options options, peer_factory make_peer, connection_slot slot,
                      open_channels& registry);

} // namespace ooo::storage::gateway

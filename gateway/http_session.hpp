#pragma once

#include <boost/asio/ip/tcp.hpp>

#include "gateway/connection_slot.hpp"

namespace ooo::storage::gateway {

struct gateway_context;

/// Serves one TCP connection: HTTP/1.1 requests (keep-alive) until it closes or upgrades to a
/// WebSocket. Bodies are bounded (413 beyond `max_body_size`, known from `Content-Length`
/// before anything is read), `Expect: 100-continue` is answered, and reading a request may take
/// 30 s at most.
void serve_http(boost::asio::ip::tcp::socket socket, gateway_context& ctx, connection_slot slot);

/// Answers 503 (too many connections) and closes.
void refuse_connection(boost::asio::ip::tcp::socket socket);

} // namespace ooo::storage::gateway

#pragma once

#include <memory>
#include <string>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include "gateway/connection_slot.hpp"
#include "gateway/gateway_config.hpp"
#include "gateway/routes.hpp"
#include "gateway/ws_channel.hpp"

namespace ooo::storage::gateway {

/// What every connection of one gateway shares.
struct gateway_context {
  routes& http_routes;
  store_client& store;
  gateway_metrics& metrics;
  const gateway_settings& settings;
  connection_limit& limit;
  open_channels& channels;
};

/// Accepts connections and gives each its own strand and HTTP session; beyond the connection
/// limit a connection is answered 503 and closed.
class listener : public std::enable_shared_from_this<listener> {
public:
  listener(boost::asio::io_context& ioc, gateway_context& ctx);

  /// Binds; the error names the address.
  bool open(const boost::asio::ip::tcp::endpoint& at, std::string& error);

  /// The bound address (the port is known only now when 0 was asked for).
  boost::asio::ip::tcp::endpoint local() const;

  void run();
  /// Stops accepting (call on any thread).
  void stop();

private:
  void accept_next();

  boost::asio::io_context& ioc_;
  boost::asio::ip::tcp::acceptor acceptor_;
  /// Waits before accepting again after a failed accept.
  boost::asio::steady_timer retry_;
  gateway_context& ctx_;
};

} // namespace ooo::storage::gateway

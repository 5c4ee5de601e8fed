#pragma once

#include <memory>
#include <string>

#include "caf/expected.hpp"
#include "caf/actor_control_block.hpp"
#include "caf/fwd.hpp"

#include "gateway/gateway_config.hpp"

namespace ooo::storage::gateway {

/// ooo's HTTP + WebSocket protocol in front of a store: the listener, its threads, and the
/// actors that talk to the store through `store_actor` like any other client. What a node
/// starts with `--http HOST:PORT`.
class http_gateway {
public:
  /// Binds and starts serving; the error names the address when it cannot listen. `store` is
  /// a `store_actor` handle (`caf::actor_cast<caf::strong_actor_ptr>(handle)`).
  static caf::expected<std::unique_ptr<http_gateway>>
  start(caf::actor_system& sys, caf::strong_actor_ptr store, const gateway_settings& settings);

  /// Stops (see `stop`).
  ~http_gateway();

  /// `HOST:PORT` as bound.
  std::string address() const;

  /// Stops accepting, closes every WebSocket with a close handshake (a second at most), ends
  /// the threads and the gateway's actors. Safe to call twice.
  void stop();

  struct state;

private:
  explicit http_gateway(std::unique_ptr<state> st);

  std::unique_ptr<state> st_;
};

} // namespace ooo::storage::gateway

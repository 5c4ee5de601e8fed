#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "caf/config_option_adder.hpp"
#include "caf/expected.hpp"

namespace ooo::storage::gateway {

/// The gateway's settings after validation.
struct gateway_settings {
  /// False: no `--http` given, the gateway stays off.
  bool enabled = false;
  std::string host;
  /// 0 picks a free port (printed at start-up).
  uint16_t port = 0;
  /// Required as `Authorization: Bearer TOKEN` (or the `bearer` sub-protocol) when not empty.
  std::string token;
  /// `/metrics` answers without the token.
  bool open_metrics = false;
  /// Files served read-only under `/_static/`; empty: none.
  std::string static_dir;
  /// Connections beyond this many are answered 503 and closed.
  size_t max_connections = 1024;
  /// A WebSocket peer that sends nothing (not even a pong to the ping sent halfway) for this
  /// long is disconnected.
  std::chrono::seconds idle_timeout{60};
};

/// The gateway's options in a node's CAF configuration (the `global` category, like the node's
/// own): `--http HOST:PORT`, `--http-token-file FILE`, `--http-open-metrics`,
/// `--http-static DIR`, `--http-max-connections N`, `--http-idle-timeout SECONDS`; the same
/// keys work in the ini file.
class gateway_config {
public:
  /// Declares the options on a node configuration's option set.
  void add_options(caf::config_option_adder& adder);

  /// Checks the values and reads the token file; the error says which option is wrong.
  caf::expected<gateway_settings> settings() const;

  /// The options that take a value, for command lines written `--opt VALUE`.
  static const std::vector<std::string_view>& options_with_value();

  std::string http;
  std::string token_file;
  bool open_metrics = false;
  std::string static_dir;
  int64_t max_connections = 1024;
  int64_t idle_timeout = 60;
};

} // namespace ooo::storage::gateway

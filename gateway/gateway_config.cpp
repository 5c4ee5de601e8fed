#include "gateway/gateway_config.hpp"

#include <charconv>
#include <fstream>
#include <sstream>
#include <sys/stat.h>

#include "caf/make_config_option.hpp"
#include "caf/sec.hpp"

namespace ooo::storage::gateway {

namespace {

caf::error invalid(std::string what) {
  return caf::make_error(caf::sec::invalid_argument, std::move(what));
}

} // namespace

void gateway_config::add_options(caf::config_option_adder& adder) {
  adder
    .add(http, "http",
         "serve ooo's HTTP + WebSocket protocol on HOST:PORT (default: off; port 0 picks one)")
    .add(token_file, "http-token-file",
         "require 'Authorization: Bearer TOKEN' (or the 'bearer' WebSocket sub-protocol) with "
         "the token in this file")
    .add(open_metrics, "http-open-metrics", "serve /metrics without the token")
    .add(static_dir, "http-static", "serve the files of this directory under /_static/")
    .add(max_connections, "http-max-connections",
         "open HTTP and WebSocket connections at most (default 1024)")
    .add(idle_timeout, "http-idle-timeout",
         "seconds a silent WebSocket peer stays connected; pinged halfway (default 60)");
}

const std::vector<std::string_view>& gateway_config::options_with_value() {
  static const std::vector<std::string_view> names{"--http", "--http-token-file", "--http-static",
                                                   "--http-max-connections",
                                                   "--http-idle-timeout"};
  return names;
}

caf::expected<gateway_settings> gateway_config::settings() const {
  gateway_settings result;
  if (!http.empty()) {
    auto colon = http.rfind(':');
    if (colon == std::string::npos || colon == 0)
      return invalid("--http must be HOST:PORT, got '" + http + "'");
    result.host = http.substr(0, colon);
    auto port_text = std::string_view{http}.substr(colon + 1);
    unsigned port = 0;
    auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (port_text.empty() || ec != std::errc{} || end != port_text.data() + port_text.size()
        || port > 65535)
      return invalid("--http port must be in 0..65535, got '" + std::string{port_text} + "'");
    result.port = static_cast<uint16_t>(port);
    result.enabled = true;
  }
  if (!token_file.empty()) {
    std::ifstream in{token_file, std::ios::binary};
    if (!in)
      return invalid("--http-token-file: cannot read '" + token_file + "'");
    std::ostringstream text;
    text << in.rdbuf();
    auto token = text.str();
    while (!token.empty() && (token.back() == '\n' || token.back() == '\r'
                              || token.back() == ' ' || token.back() == '\t'))
      token.pop_back();
    if (token.empty())
      return invalid("--http-token-file: '" + token_file + "' holds no token");
    for (char c : token)
      // The token also travels as a WebSocket sub-protocol, which allows only these.
      if (c <= ' ' || c > '~' || c == ',' || c == '"')
        return invalid("--http-token-file: the token in '" + token_file
                       + "' may hold only printable ASCII without spaces, commas and quotes");
    result.token = std::move(token);
  }
  result.open_metrics = open_metrics;
  if (!static_dir.empty()) {
    struct stat st {};
    if (::stat(static_dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
      return invalid("--http-static: '" + static_dir + "' is not a directory");
    result.static_dir = static_dir;
  }
  if (max_connections < 1 || max_connections > 1000000)
    return invalid("--http-max-connections must be in 1..1000000, got "
                   + std::to_string(max_connections));
  result.max_connections = static_cast<size_t>(max_connections);
  if (idle_timeout < 2 || idle_timeout > 86400)
    return invalid("--http-idle-timeout must be in 2..86400 seconds, got "
                   + std::to_string(idle_timeout));
  result.idle_timeout = std::chrono::seconds{idle_timeout};
  return result;
}

} // namespace ooo::storage::gateway

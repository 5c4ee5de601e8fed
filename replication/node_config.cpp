#include "replication/node_config.hpp"

#include <charconv>

#include "replication/errc.hpp"

namespace ooo::storage::replication {

bool is_host_port(const std::string& address) {
  auto colon = address.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == address.size())
    return false;
  unsigned port = 0;
  auto first = address.data() + colon + 1;
  auto last = address.data() + address.size();
  auto [end, ec] = std::from_chars(first, last, port);
  return ec == std::errc{} && end == last && port >= 1 && port <= 65535;
}

caf::error validate(const node_config& cfg) {
  auto bad = [](std::string what) { return make_error(errc::invalid_config, std::move(what)); };
  if (cfg.id == 0)
    return bad("id must not be 0");
  if (!is_host_port(cfg.address))
    return bad("address '" + cfg.address + "' is not HOST:PORT");
  if (cfg.data_dir.empty())
    return bad("data_dir is empty");
  if (cfg.heartbeat_timeout.count() <= 0)
    return bad("heartbeat_timeout must be positive");
  if (cfg.election_timeout <= cfg.heartbeat_timeout)
    return bad("election_timeout must be longer than heartbeat_timeout");
  if (cfg.snapshot_threshold == 0)
    return bad("snapshot_threshold must be positive");
  if (cfg.snapshot_timeout.count() <= 0 || cfg.restore_timeout.count() <= 0)
    return bad("snapshot_timeout and restore_timeout must be positive");
  return caf::error{};
}

} // namespace ooo::storage::replication

#include "apps/cli/node_address.hpp"

#include <cstdlib>

namespace ooo::storage::cli {

std::string default_node() {
  if (auto env = std::getenv("OOO_STORAGE_NODE"); env != nullptr && *env != '\0')
    return env;
  return "127.0.0.1:7700";
}

bool parse_node_address(const std::string& text, node_address& out, std::string& why) {
  auto colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == text.size()) {
    why = "node address must be HOST:PORT, got '" + text + "'";
    return false;
  }
  auto port_text = text.substr(colon + 1);
  unsigned long port = 0;
  for (auto c : port_text) {
    if (c < '0' || c > '9' || port > 65535) {
      port = 0;
      break;
    }
    port = port * 10 + static_cast<unsigned long>(c - '0');
  }
  if (port == 0 || port > 65535) {
    why = "node port must be in 1..65535, got '" + port_text + "'";
    return false;
  }
  out.host = text.substr(0, colon);
  if (out.host.size() > 2 && out.host.front() == '[' && out.host.back() == ']')
    out.host = out.host.substr(1, out.host.size() - 2);
  out.port = static_cast<uint16_t>(port);
  return true;
}

bool parse_node_list(const std::string& text, std::vector<node_address>& out, std::string& why) {
  out.clear();
  size_t pos = 0;
  while (pos <= text.size()) {
    auto comma = text.find(',', pos);
    auto item = text.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
    pos = comma == std::string::npos ? text.size() + 1 : comma + 1;
    node_address addr;
    if (!parse_node_address(item, addr, why))
      return false;
    out.push_back(std::move(addr));
  }
  return true;
}

} // namespace ooo::storage::cli

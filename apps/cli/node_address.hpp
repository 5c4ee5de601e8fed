#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace ooo::storage::cli {

/// Where a node listens: `HOST:PORT`.
struct node_address {
  std::string host;
  uint16_t port = 0;

  std::string to_string() const {
    return host + ':' + std::to_string(port);
  }
};

/// The address used without `--node`: `$OOO_STORAGE_NODE`, else `127.0.0.1:7700`.
std::string default_node();

/// Parses `HOST:PORT` (the last `:` separates the port, 1..65535). Returns false and says why in
/// `why` on malformed input.
bool parse_node_address(const std::string& text, node_address& out, std::string& why);

/// Parses `HOST:PORT[,HOST:PORT...]`: the nodes of a replicated group (or one node). Returns
/// false and says why in `why` on malformed input (naming the element).
bool parse_node_list(const std::string& text, std::vector<node_address>& out, std::string& why);

} // namespace ooo::storage::cli

#include "replication/node_status.hpp"

namespace ooo::storage::replication {

const char* to_string(node_role x) {
  switch (x) {
    case node_role::unavailable:
      return "unavailable";
    case node_role::follower:
      return "follower";
    case node_role::candidate:
      return "candidate";
    case node_role::leader:
      return "leader";
  }
  return "unknown";
}

} // namespace ooo::storage::replication

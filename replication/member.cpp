#include "replication/member.hpp"

namespace ooo::storage::replication {

const char* to_string(member_role x) {
  switch (x) {
    case member_role::voter:
      return "voter";
    case member_role::standby:
      return "standby";
    case member_role::spare:
      return "spare";
  }
  return "unknown";
}

bool from_string(const std::string& name, member_role& x) {
  for (auto role : {member_role::voter, member_role::standby, member_role::spare})
    if (name == to_string(role)) {
      x = role;
      return true;
    }
  return false;
}

} // namespace ooo::storage::replication

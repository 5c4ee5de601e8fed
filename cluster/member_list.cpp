#include "cluster/member_list.hpp"

#include <charconv>
#include <set>

#include "caf/sec.hpp"

#include "replication/node_config.hpp"

namespace ooo::storage::cluster {

caf::expected<std::vector<replication::member>> parse_members(const std::string& text) {
  auto bad = [](std::string what) {
    return caf::make_error(caf::sec::invalid_argument, std::move(what));
  };
  std::vector<replication::member> result;
  std::set<uint64_t> ids;
  std::set<std::string> addresses;
  size_t pos = 0;
  while (pos <= text.size()) {
    auto comma = text.find(',', pos);
    auto item = text.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
    pos = comma == std::string::npos ? text.size() + 1 : comma + 1;
    auto eq = item.find('=');
    if (eq == std::string::npos)
      return bad("member '" + item + "' is not ID=HOST:PORT");
    replication::member m;
    auto id_text = item.substr(0, eq);
    auto [end, ec] = std::from_chars(id_text.data(), id_text.data() + id_text.size(), m.id);
    if (ec != std::errc{} || end != id_text.data() + id_text.size() || m.id == 0)
      return bad("member '" + item + "': the id must be a positive number");
    m.address = item.substr(eq + 1);
    if (!replication::is_host_port(m.address))
      return bad("member '" + item + "': '" + m.address + "' is not HOST:PORT");
    if (!ids.insert(m.id).second)
      return bad("member id " + std::to_string(m.id) + " is given twice");
    if (!addresses.insert(m.address).second)
      return bad("member address " + m.address + " is given twice");
    m.role = replication::member_role::voter;
    result.push_back(std::move(m));
  }
  return result;
}

} // namespace ooo::storage::cluster

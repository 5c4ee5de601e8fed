#include "apps/cli/commands.hpp"

#include <cstdio>
#include <iostream>
#include <iterator>
#include <sstream>

#include "apps/cli/exit_code.hpp"
#include "apps/cli/import.hpp"
#include "apps/render/json.hpp"
#include "messages/group_actor.hpp"

namespace ooo::storage::cli {

namespace {

namespace rj = render_json;

/// DATA as bytes: the argument itself, or all of standard input for `-`.
bytes read_data(const std::string& arg) {
  if (arg != "-")
    return bytes(arg.begin(), arg.end());
  return bytes(std::istreambuf_iterator<char>{std::cin}, std::istreambuf_iterator<char>{});
}

void print_line(const std::string& x) {
  std::cout << x << '\n' << std::flush;
}

int cmd_set(session& s, const command_line& cmd) {
  write_options opts;
  opts.expected_revision = cmd.if_revision;
  auto res = s.call_leader<receipt>(set_atom::value, cmd.key, read_data(cmd.data), opts);
  if (!res)
    return s.report(res.error());
  print_line(std::string{last_segment(res->key)});
  return ok;
}

int cmd_push(session& s, const command_line& cmd) {
  auto res = s.call_leader<receipt>(push_atom::value, cmd.key, read_data(cmd.data));
  if (!res)
    return s.report(res.error());
  print_line(res->key);
  return ok;
}

int cmd_get(session& s, const command_line& cmd) {
  auto res = s.call_leader<object>(caf::get_atom::value, cmd.key);
  if (!res)
    return s.report(res.error());
  if (cmd.raw) {
    std::cout.write(res->data.data(), static_cast<std::streamsize>(res->data.size()));
    std::cout.flush();
  } else {
    print_line(rj::line(rj::object(*res)));
  }
  return ok;
}

int cmd_list(session& s, const command_line& cmd) {
  list_options opts;
  opts.ascending = cmd.ascending;
  opts.offset = cmd.offset;
  opts.limit = cmd.limit;
  opts.created_from = cmd.from;
  opts.created_to = cmd.to;
  auto res = s.call_leader<std::vector<object>>(list_atom::value, cmd.key, opts);
  if (!res)
    return s.report(res.error());
  auto all = rj::json::array();
  for (auto& obj : *res)
    all.push_back(rj::object(obj));
  print_line(rj::line(all));
  return ok;
}

int cmd_keys(session& s, const command_line& cmd) {
  auto res = s.call_leader<std::vector<std::string>>(keys_atom::value, cmd.key, list_options{});
  if (!res)
    return s.report(res.error());
  for (auto& key : *res)
    std::cout << key << '\n';
  std::cout.flush();
  return ok;
}

int cmd_del(session& s, const command_line& cmd) {
  auto res = s.call_leader<deleted>(del_atom::value, cmd.key);
  if (!res)
    return s.report(res.error());
  std::cout << rj::line({{"deleted", res->count}, {"revision", res->revision}}) << std::endl;
  return ok;
}

int cmd_member(session& s, const command_line& cmd) {
  if (cmd.member_action == "add") {
    auto res = s.call_leader<void>(add_member_atom::value, cmd.member_id, cmd.member_address);
    return res ? ok : s.report(res.error());
  }
  if (cmd.member_action == "remove") {
    auto res = s.call_leader<void>(remove_member_atom::value, cmd.member_id);
    return res ? ok : s.report(res.error());
  }
  auto res = s.call_leader<std::vector<std::string>>(members_atom::value);
  if (!res)
    return s.report(res.error());
  // Each line is `ID RAFT-ADDRESS ROLE [leader]` (messages/group_actor.hpp).
  for (auto& line : *res) {
    std::istringstream in{line};
    uint64_t id = 0;
    std::string address;
    std::string role;
    std::string leader;
    in >> id >> address >> role >> leader;
    rj::json out;
    out["id"] = id;
    out["raft"] = address;
    out["role"] = role;
    out["leader"] = leader == "leader";
    print_line(rj::line(out));
  }
  return ok;
}

int cmd_transfer(session& s, const command_line& cmd) {
  auto res = s.call_leader<uint64_t>(transfer_atom::value, cmd.member_id);
  if (!res)
    return s.report(res.error());
  print_line(std::to_string(*res));
  return ok;
}

int cmd_stats(session& s, const command_line&) {
  auto res = s.call<store_stats>(stats_atom::value);
  if (!res)
    return s.report(res.error());
  print_line(rj::line(rj::stats(*res)));
  return ok;
}

} // namespace

int run_command(session& s, const command_line& cmd) {
  if (cmd.command == "set")
    return cmd_set(s, cmd);
  if (cmd.command == "push")
    return cmd_push(s, cmd);
  if (cmd.command == "get")
    return cmd_get(s, cmd);
  if (cmd.command == "list")
    return cmd_list(s, cmd);
  if (cmd.command == "keys")
    return cmd_keys(s, cmd);
  if (cmd.command == "del")
    return cmd_del(s, cmd);
  if (cmd.command == "stats")
    return cmd_stats(s, cmd);
  if (cmd.command == "member")
    return cmd_member(s, cmd);
  if (cmd.command == "transfer")
    return cmd_transfer(s, cmd);
  if (cmd.command == "import")
    return run_import(s, cmd);
  std::cerr << "error: unknown command '" << cmd.command << "'" << std::endl;
  return usage_error;
}

} // namespace ooo::storage::cli

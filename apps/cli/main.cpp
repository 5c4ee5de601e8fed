// ooo-storage: the command-line client, a CAF node of its own.
//
// Exit codes: 0 success; 1 the store answered an error (`error: NAME: detail` on stderr);
// 2 usage error; 3 the node is unreachable or stopped answering.

#include <chrono>
#include <cstdlib>
#include <iostream>
#include <string>

#include <CLI/CLI.hpp>

#include "apps/cli/command_line.hpp"
#include "apps/cli/commands.hpp"
#include "apps/cli/exit_code.hpp"
#include "apps/cli/interrupts.hpp"
#include "apps/cli/node_address.hpp"
#include "apps/cli/session.hpp"
#include "apps/cli/watch.hpp"
#include "messages/key.hpp"
#include "transport/tls_files.hpp"

namespace ooo::storage::cli {
namespace {

/// Declares the commands and their options on `app`, writing into `cmd`.
void declare(CLI::App& app, command_line& cmd) {
  app.require_subcommand(1);
  app.fallthrough();
  app.add_option("--node", cmd.node, "node address HOST:PORT, or the nodes of a group "
                                     "HOST:PORT,HOST:PORT,... ($OOO_STORAGE_NODE, else "
                                     "127.0.0.1:7700)")
    ->capture_default_str();
  app.add_option("--timeout", cmd.timeout, "seconds to wait for each answer of the node")
    ->capture_default_str()
    ->check(CLI::Range(0.1, 3600.0));
  app.add_option("--tls-cert", cmd.tls_cert, "mutual TLS: this client's certificate (PEM)")
    ->envname("OOO_STORAGE_TLS_CERT");
  app.add_option("--tls-key", cmd.tls_key, "mutual TLS: the private key of --tls-cert (PEM)")
    ->envname("OOO_STORAGE_TLS_KEY");
  app.add_option("--tls-ca", cmd.tls_ca, "mutual TLS: accept only a node whose certificate "
                                         "this CA signed (PEM)")
    ->envname("OOO_STORAGE_TLS_CA");
  app.footer(std::string{"Keys: "} + key_rules()
             + "\nWith several nodes (a replicated group) every command finds the leader "
               "itself; watch resumes on another node when its node goes away."
             + "\nExit codes: 0 ok, 1 store error, 2 usage error, 3 node unreachable.");

  auto set = app.add_subcommand("set", "create or overwrite KEY; prints its index");
  set->add_option("KEY", cmd.key, "the key, e.g. users/1")->required();
  set->add_option("DATA", cmd.data, "the value; - reads standard input")->required();
  set->add_option("--if-revision", cmd.if_revision,
                  "write only if the key's revision is REV (0: only if it does not exist)");

  auto push = app.add_subcommand("push", "create a new key under PATTERN; prints the key");
  push->add_option("PATTERN", cmd.key, "a pattern ending in /*, e.g. events/*")->required();
  push->add_option("DATA", cmd.data, "the value; - reads standard input")->required();

  auto get = app.add_subcommand("get", "print the object at KEY as one JSON line");
  get->add_option("KEY", cmd.key, "the key")->required();
  get->add_flag("--raw", cmd.raw, "print the data bytes only");

  auto list = app.add_subcommand("list", "print the objects matching PATTERN as a JSON array, "
                                         "newest first");
  list->add_option("PATTERN", cmd.key, "a pattern, e.g. users/*")->required();
  list->add_option("--limit", cmd.limit, "at most N objects (0: all)");
  list->add_option("--offset", cmd.offset, "skip the first N objects");
  list->add_flag("--asc", cmd.ascending, "oldest first");
  list->add_option("--from", cmd.from, "only objects created at or after NS (ns timestamp)");
  list->add_option("--to", cmd.to, "only objects created at or before NS (ns timestamp)");

  auto keys = app.add_subcommand("keys", "print the keys matching PATTERN, one a line, sorted");
  keys->add_option("PATTERN", cmd.key, "a pattern (default: every key)");

  auto del = app.add_subcommand("del", "delete KEY, or every key matching PATTERN");
  del->add_option("KEY", cmd.key, "a key or pattern")->required();

  auto watch = app.add_subcommand("watch", "print one JSON event a line for changes of keys "
                                           "matching PATTERN");
  watch->add_option("PATTERN", cmd.key, "a pattern, e.g. users/*")->required();
  watch->add_option("--count", cmd.count, "exit after N events");
  watch->add_option("--since", cmd.since, "first replay the retained changes after REV")
    ->each([&cmd](const std::string&) { cmd.has_since = true; });

  app.add_subcommand("stats", "print the store's counters as one JSON object");

  auto member = app.add_subcommand("member", "a replicated group's members: list, add, remove");
  member->require_subcommand(1);
  member->add_subcommand("list", "print one JSON object a line per member, the leader's first")
    ->callback([&cmd] { cmd.member_action = "list"; });
  auto add = member->add_subcommand("add", "make the node started with --join on ADDRESS a "
                                           "voting member with id ID");
  add->add_option("ID", cmd.member_id, "its --node-id, unique in the group")->required();
  add->add_option("ADDRESS", cmd.member_address, "its --raft HOST:PORT")->required();
  add->callback([&cmd] { cmd.member_action = "add"; });
  auto remove = member->add_subcommand("remove", "remove member ID from the group");
  remove->add_option("ID", cmd.member_id, "the member's id")->required();
  remove->callback([&cmd] { cmd.member_action = "remove"; });

  auto transfer = app.add_subcommand("transfer", "hand the group's leadership to member ID; "
                                                 "prints the new leader's id");
  transfer->add_option("ID", cmd.member_id, "the member's id (default 0: the most up-to-date "
                                            "voter)");

  auto import = app.add_subcommand("import", "set every key of a file of JSON lines "
                                             "{\"key\": K, \"data\": V}, in batches");
  import->add_option("FILE", cmd.data, "the lines (default or -: standard input)");
  import->add_option("--batch", cmd.batch_size, "sets per batch (one message, one commit per "
                                                "shard)")
    ->check(CLI::Range(size_t{1}, size_t{100000}));
}

int run(int argc, char** argv) {
  command_line cmd;
  cmd.node = default_node();
  CLI::App app{"ooo-storage: command-line client of an ooo-storage node", "ooo-storage"};
  declare(app, cmd);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return usage_error;
  }
  cmd.command = app.get_subcommands().front()->get_name();
  std::vector<node_address> nodes;
  std::string why;
  if (!parse_node_list(cmd.node, nodes, why)) {
    std::cerr << "error: " << why << std::endl;
    return usage_error;
  }
  transport::tls_files tls{cmd.tls_cert, cmd.tls_key, cmd.tls_ca, {}};
  if (auto err = transport::check(tls, transport::tls_role::client)) {
    // The context is the whole explanation (`--tls-key F does not belong to --tls-cert G`).
    auto& why = err.context();
    std::cerr << "error: "
              << (why.match_elements<std::string>() ? why.get_as<std::string>(0)
                                                    : caf::actor_system_config::render(err))
              << std::endl;
    return usage_error;
  }
  if (cmd.command == "watch")
    interrupts::block();
  auto timeout = std::chrono::duration_cast<caf::timespan>(
    std::chrono::duration<double>{cmd.timeout});
  session s{timeout, tls};
  if (auto err = s.connect_any(nodes)) {
    // Leave without CAF's shutdown: a TLS connection whose handshake never finished (a mute
    // peer) keeps CAF 0.17 waiting forever for its first write to drain. Nothing else is
    // running yet.
    auto code = s.report(err);
    std::cout.flush();
    std::cerr.flush();
    std::_Exit(code);
  }
  if (cmd.command == "watch")
    return run_watch(s, cmd);
  return run_command(s, cmd);
}

} // namespace
} // namespace ooo::storage::cli

int main(int argc, char** argv) {
  return ooo::storage::cli::run(argc, argv);
}

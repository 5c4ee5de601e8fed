#include "apps/node/node_config.hpp"

#include <array>
#include <string_view>

#include "caf/io/middleman.hpp"

#include "apps/node/listen_policy.hpp"
#include "cluster/member_list.hpp"
#include "replication/node_config.hpp"
#include "messages/register_types.hpp"
#include "replication/register_types.hpp"
#include "transport/network.hpp"

namespace ooo::storage {

node_config::node_config() {
  opt_group{custom_options_, "global"}
    .add(host, "host", "address to listen on (default 127.0.0.1)")
    .add(port, "port", "TCP port (default 7700; 0 picks a free one)")
    .add(data_dir, "data-dir", "RocksDB directory (default ./data)")
    .add(durability_name, "durability", "sync, async or memory (default sync)")
    .add(shards, "shards", "shard actors (default 0: one per hardware thread, at least 2)")
    .add(tls_cert, "tls-cert", "mutual TLS: this node's certificate (PEM; with --tls-key/-ca)")
    .add(tls_key, "tls-key", "mutual TLS: the private key of --tls-cert (PEM)")
    .add(tls_ca, "tls-ca", "mutual TLS: admit only peers whose certificate this CA signed (PEM)")
    .add(insecure, "insecure", "allow plain TCP on a non-loopback --host (anyone reaching it "
                               "owns the store)")
    .add(raft, "raft", "run as a member of a replicated group: this node's Raft address "
                       "HOST:PORT (plain TCP; see README, Security)")
    .add(node_id, "node-id", "group: this node's id, a positive number unique in the group")
    .add(peers, "peers", "group: the initial members ID=HOST:PORT,... (the same list on each, "
                         "this node included)")
    .add(join, "join", "group: start without members and wait to be added (ooo-storage "
                       "member add)")
    .add(stale_reads, "stale-reads", "group: followers serve reads from their own state")
    .add(election_timeout_ms, "election-timeout", "group: milliseconds without a leader before "
                                                  "an election (default 1000)")
    .add(snapshot_threshold, "snapshot-threshold", "group: snapshot after this many log "
                                                   "entries (default 4096)")
    .add(snapshot_trailing, "snapshot-trailing", "group: log entries kept behind a snapshot "
                                                 "(default 2048)");
  opt_group http_options{custom_options_, "global"};
  http.add_options(http_options);
  load<caf::io::middleman>();
  register_types(*this);
  replication::register_types(*this);
  // Idle workers skip CAF's 50 us moderate sleeps and block until work arrives: a request
  // round trip costs ~20 us instead of ~90 us, without idle spinning (bench/README.md). A
  // config file or the command line may still set it.
  set("work-stealing.moderate-poll-attempts", size_t{0});
  transport::use_heartbeats(*this);
}

caf::error node_config::group_settings(node_settings& result) const {
  auto bad = [](std::string what) {
    return caf::make_error(caf::sec::invalid_argument, std::move(what));
  };
  if (raft.empty()) {
    if (node_id != 0 || !peers.empty() || join || stale_reads)
      return bad("--node-id, --peers, --join and --stale-reads need --raft HOST:PORT");
    return caf::error{};
  }
  auto& g = result.group;
  result.grouped = true;
  if (!replication::is_host_port(raft))
    return bad("--raft must be HOST:PORT, got '" + raft + "'");
  if (node_id <= 0)
    return bad("--raft needs --node-id, a positive number unique in the group");
  if (result.mode != durability::sync)
    return bad("a group is durable through its Raft log: --durability must be sync, got '"
               + durability_name + "'");
  if (join == !peers.empty())
    return bad(join ? "--join and --peers exclude each other"
                    : "--raft needs --peers ID=HOST:PORT,... (the initial members) or --join");
  g.node_id = static_cast<uint64_t>(node_id);
  g.raft_address = raft;
  if (!join) {
    auto members = cluster::parse_members(peers);
    if (!members)
      return bad("--peers: " + caf::actor_system_config::render(members.error()));
    bool self = false;
    for (auto& m : *members)
      if (m.id == g.node_id) {
        if (m.address != raft)
          return bad("--peers gives node " + std::to_string(m.id) + " the address " + m.address
                     + ", --raft says " + raft);
        self = true;
      }
    if (!self)
      return bad("--peers must list this node (--node-id " + std::to_string(node_id) + ")");
    g.initial_members = std::move(*members);
  }
  g.data_dir = data_dir;
  g.stale_reads = stale_reads;
  if (election_timeout_ms < 200 || election_timeout_ms > 60000)
    return bad("--election-timeout must be in 200..60000 ms, got "
               + std::to_string(election_timeout_ms));
  g.election_timeout = std::chrono::milliseconds{election_timeout_ms};
  g.heartbeat_timeout = std::chrono::milliseconds{election_timeout_ms / 10};
  if (snapshot_threshold < 16 || snapshot_threshold > (int64_t{1} << 30))
    return bad("--snapshot-threshold must be in 16..2^30, got "
               + std::to_string(snapshot_threshold));
  if (snapshot_trailing < 0 || snapshot_trailing > (int64_t{1} << 30))
    return bad("--snapshot-trailing must be in 0..2^30, got "
               + std::to_string(snapshot_trailing));
  g.snapshot_threshold = static_cast<uint32_t>(snapshot_threshold);
  g.snapshot_trailing = static_cast<uint32_t>(snapshot_trailing);
  g.store_options.shards = result.shards;
  return caf::error{};
}

caf::expected<node_settings> node_config::settings() const {
  node_settings result;
  if (host.empty())
    return caf::make_error(caf::sec::invalid_argument, "--host must not be empty");
  result.host = host;
  if (port < 0 || port > 65535)
    return caf::make_error(caf::sec::invalid_argument,
                           "--port must be in 0..65535, got " + std::to_string(port));
  result.port = static_cast<uint16_t>(port);
  if (data_dir.empty())
    return caf::make_error(caf::sec::invalid_argument, "--data-dir must not be empty");
  result.data_dir = data_dir;
  if (!from_string(durability_name, result.mode))
    return caf::make_error(caf::sec::invalid_argument,
                           "--durability must be sync, async or memory, got '"
                             + durability_name + "'");
  if (shards < 0 || shards > 1024)
    return caf::make_error(caf::sec::invalid_argument,
                           "--shards must be in 0..1024, got " + std::to_string(shards));
  result.shards = static_cast<size_t>(shards);
  result.tls = transport::tls_files{tls_cert, tls_key, tls_ca, openssl_passphrase};
  result.insecure = insecure;
  if (auto err = check_listen_policy(host, result.tls, insecure, *this))
    return err;
  if (auto err = group_settings(result))
    return err;
  return result;
}

std::vector<std::string> normalize_args(int argc, char** argv) {
  static constexpr std::array<std::string_view, 15> with_value{
    {"--host", "--port", "--data-dir", "--durability", "--shards", "--config", "--tls-cert",
     "--tls-key", "--tls-ca", "--raft", "--node-id", "--peers", "--election-timeout",
     "--snapshot-threshold", "--snapshot-trailing"}};
  std::vector<std::string> result;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--config" || arg.rfind("--config=", 0) == 0)
      arg.replace(0, 8, "--config-file");
    bool takes_next = false;
    for (auto name : with_value)
      if (argv[i] == name)
        takes_next = true;
    for (auto name : gateway::gateway_config::options_with_value())
      if (argv[i] == name)
        takes_next = true;
    if (takes_next && i + 1 < argc)
      arg += std::string{"="} + argv[++i];
    result.emplace_back(std::move(arg));
  }
  return result;
}

} // namespace ooo::storage

#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "caf/actor_system_config.hpp"
#include "caf/expected.hpp"

#include "cluster/group_node.hpp"
#include "gateway/gateway_config.hpp"
#include "persistence/adapter.hpp"
#include "transport/tls_files.hpp"

namespace ooo::storage {

/// The node's settings after validation.
struct node_settings {
  std::string host;
  uint16_t port = 7700;
  std::string data_dir;
  durability mode = durability::sync;
  /// 0: one shard per hardware thread (at least 2).
  size_t shards = 0;
  /// Mutual TLS when set (checked: the files fit together); plain TCP when empty.
  transport::tls_files tls;
  /// Plain TCP on a non-loopback address was asked for explicitly (`--insecure`).
  bool insecure = false;
  /// The node is a member of a replicated group (`--raft`); `group` says how.
  bool grouped = false;
  cluster::group_node_config group;
};

/// `ooo-storaged`'s configuration: CAF's own config system (command line plus an ini file given
/// with `--config FILE`), with the node's options in the `global` category next to CAF's
/// (`scheduler.*`, `middleman.*`, ...). Loads the middleman, registers the store's types and
/// turns on heartbeats (`transport::use_heartbeats`; the config may still change them).
class node_config : public caf::actor_system_config {
public:
  node_config();

  /// Checks ranges, names and the secure defaults (`check_listen_policy`); the error text says
  /// which option is wrong.
  caf::expected<node_settings> settings() const;

  /// The group part of `settings` (the options after `--raft`); nothing without `--raft`.
  caf::error group_settings(node_settings& result) const;

  std::string host = "127.0.0.1";
  int64_t port = 7700;
  std::string data_dir = "./data";
  std::string durability_name = "sync";
  int64_t shards = 0;
  std::string tls_cert;
  std::string tls_key;
  std::string tls_ca;
  bool insecure = false;
  /// A replicated group (`--raft`; see cluster/): this node's id, Raft address, the initial
  /// members (`ID=HOST:PORT,...`) or `--join`, stale reads on followers, libraft's timing.
  int64_t node_id = 0;
  std::string raft;
  std::string peers;
  bool join = false;
  bool stale_reads = false;
  int64_t election_timeout_ms = 1000;
  int64_t snapshot_threshold = 4096;
  int64_t snapshot_trailing = 2048;
  /// The HTTP gateway's options (`--http ...`), checked by `http.settings()`.
  gateway::gateway_config http;
};

/// Rewrites the command line into CAF's syntax: `--opt VALUE` becomes `--opt=VALUE` for the
/// node's own options, and `--config FILE` becomes `--config-file=FILE`. Drops `argv[0]`.
std::vector<std::string> normalize_args(int argc, char** argv);

} // namespace ooo::storage

#pragma once

// A group of raft_nodes on loopback ports for the raft_node suite: node i has id i + 1, its
// own memory_machine and its own data directory under one scratch directory.

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "replication/errc.hpp"
#include "replication/raft_node.hpp"
#include "tests/replication/loopback.hpp"
#include "tests/replication/memory_machine.hpp"

namespace ooo::storage::replication::test {

struct running_node {
  // Declared before the node: the node refers to its machine and goes first.
  std::unique_ptr<memory_machine> machine;
  std::unique_ptr<raft_node> node;
};

class node_group {
public:
  /// Room for `capacity` nodes; the first `initial` form the bootstrapped configuration.
  node_group(size_t capacity, size_t initial) : ports_(free_ports(capacity)) {
    nodes_.resize(capacity);
    held_.resize(capacity);
    for (size_t i = 0; i < initial; ++i)
      initial_.push_back(member{i + 1, loopback(ports_[i]), member_role::voter});
  }

  ~node_group() {
    // Close all first, so that no node waits for a peer that is already gone.
    for (auto& n : nodes_)
      if (n.node)
        n.node->close();
    for (auto& n : nodes_)
      n.node.reset();
  }

  node_config config_of(size_t i) const {
    node_config cfg;
    cfg.id = i + 1;
    cfg.address = loopback(ports_[i]);
    cfg.data_dir = dir_.sub("node-" + std::to_string(i + 1));
    cfg.snapshot_threshold = snapshot_threshold;
    cfg.snapshot_trailing = snapshot_trailing;
    return cfg;
  }

  /// Opens node i with a fresh machine (a restarted process), bootstraps it if it is one of
  /// the initial members, starts it and waits for the start to complete.
  caf::error start(size_t i) {
    auto& n = nodes_[i];
    n.node.reset();
    held_[i].reset();
    n.machine = std::make_unique<memory_machine>();
    auto node = raft_node::open(config_of(i), *n.machine);
    if (!node)
      return node.error();
    n.node = std::move(*node);
    if (i < initial_.size())
      if (auto err = n.node->bootstrap(initial_))
        return err;
    awaited<caf::error> started;
    n.node->start(started.callback());
    auto result = started.wait();
    if (!result)
      return make_error(errc::raft_failed, "start did not report within 10 s");
    return *result;
  }

  void start_initial() {
    for (size_t i = 0; i < initial_.size(); ++i)
      if (auto err = start(i))
        throw std::runtime_error("node " + std::to_string(i + 1) + ": " + render(err));
  }

  /// Closes node i (as a clean process exit would) and waits for its thread.
  void stop(size_t i) {
    auto& n = nodes_[i];
    if (n.node) {
      n.node->close();
      n.node->join();
      n.node.reset();
      // Nothing else (another test process) may take the port while the node is down: its
      // peers keep calling it.
      held_[i] = std::make_unique<held_port>(ports_[i]);
    }
  }

  raft_node& node(size_t i) {
    return *nodes_[i].node;
  }

  memory_machine& machine(size_t i) {
    return *nodes_[i].machine;
  }

  bool running(size_t i) const {
    return nodes_[i].node != nullptr;
  }

  std::string address(size_t i) const {
    return loopback(ports_[i]);
  }

  uint16_t port(size_t i) const {
    return ports_[i];
  }

  /// The index of the node every running node names as leader, once they agree.
  std::optional<size_t> agreed_leader() const {
    std::optional<uint64_t> id;
    for (auto& n : nodes_) {
      if (!n.node)
        continue;
      auto st = n.node->status();
      if (st.leader_id == 0 || (id && *id != st.leader_id))
        return std::nullopt;
      id = st.leader_id;
    }
    if (!id || !running(*id - 1) || nodes_[*id - 1].node->status().role != node_role::leader)
      return std::nullopt;
    return *id - 1;
  }

  std::optional<size_t> wait_for_leader(std::chrono::milliseconds timeout) {
    std::optional<size_t> leader;
    wait_until([&] { return (leader = agreed_leader()).has_value(); }, timeout);
    return leader;
  }

  caf::expected<applied_entry> propose(size_t i, const std::string& payload) {
    awaited<caf::expected<applied_entry>> done;
    node(i).propose(bytes(payload.begin(), payload.end()), done.callback());
    auto result = done.wait();
    if (!result)
      return make_error(errc::raft_failed, "propose did not answer within 10 s");
    return std::move(*result);
  }

  caf::expected<uint64_t> barrier(size_t i) {
    awaited<caf::expected<uint64_t>> done;
    node(i).barrier(done.callback());
    auto result = done.wait();
    if (!result)
      return make_error(errc::raft_failed, "barrier did not answer within 10 s");
    return std::move(*result);
  }

  caf::error change(size_t i, std::function<void(raft_node&, raft_node::done_callback)> f) {
    awaited<caf::error> done;
    f(node(i), done.callback());
    auto result = done.wait(std::chrono::seconds{30});
    if (!result)
      return make_error(errc::raft_failed, "change did not answer within 30 s");
    return *result;
  }

  uint32_t snapshot_threshold = 1024;
  uint32_t snapshot_trailing = 128;

private:
  scratch_dir dir_;
  std::vector<uint16_t> ports_;
  std::vector<member> initial_;
  std::vector<running_node> nodes_;
  std::vector<std::unique_ptr<held_port>> held_;
};

} // namespace ooo::storage::replication::test

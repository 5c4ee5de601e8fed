// raft_node: libraft with its disk I/O and TCP transport on a libuv loop thread, driven
// through the thread-safe command queue. Real nodes on 127.0.0.1, data in a scratch directory.

#define CAF_SUITE raft_node
#include "caf/test/dsl.hpp"

#include <chrono>
#include <string>
#include <vector>

#include "replication/raft_node.hpp"
#include "tests/replication/node_group.hpp"

using namespace ooo::storage::replication;
using namespace ooo::storage::replication::test;
using namespace std::chrono_literals;

namespace {

std::string text(const bytes& x) {
  return std::string(x.begin(), x.end());
}

bool has_error(const caf::error& err, errc code, const std::string& part = "") {
  if (!is(err, code)) {
    CAF_MESSAGE("expected " << to_string(code) << ", got " << render(err));
    return false;
  }
  if (!part.empty() && render(err).find(part) == std::string::npos) {
    CAF_MESSAGE("expected '" << part << "' in " << render(err));
    return false;
  }
  return true;
}

std::vector<std::string> numbered(const std::string& prefix, int n) {
  std::vector<std::string> out;
  for (int i = 0; i < n; ++i)
    out.push_back(prefix + std::to_string(i));
  return out;
}

} // namespace

CAF_TEST(open refuses an unusable configuration and names the setting) {
  memory_machine machine;
  node_config cfg;
  cfg.id = 0;
  cfg.address = "127.0.0.1:1";
  cfg.data_dir = "unused";
  CAF_CHECK(has_error(raft_node::open(cfg, machine).error(), errc::invalid_config, "id"));
  cfg.id = 1;
  cfg.address = "localhost";
  CAF_CHECK(has_error(raft_node::open(cfg, machine).error(), errc::invalid_config,
                      "'localhost' is not HOST:PORT"));
  cfg.address = "127.0.0.1:70000";
  CAF_CHECK(has_error(raft_node::open(cfg, machine).error(), errc::invalid_config));
  cfg.address = "127.0.0.1:1";
  cfg.heartbeat_timeout = 1000ms;
  CAF_CHECK(has_error(raft_node::open(cfg, machine).error(), errc::invalid_config,
                      "election_timeout"));
  cfg.heartbeat_timeout = 100ms;
  cfg.data_dir.clear();
  CAF_CHECK(has_error(raft_node::open(cfg, machine).error(), errc::invalid_config, "data_dir"));
}

CAF_TEST(bootstrap refuses members that cannot form a group) {
  node_group group{1, 1};
  memory_machine machine;
  auto node = raft_node::open(group.config_of(0), machine);
  CAF_REQUIRE(node);
  auto& n = **node;
  CAF_CHECK(has_error(n.bootstrap({}), errc::bad_member, "at least one"));
  CAF_CHECK(has_error(n.bootstrap({member{2, group.address(0)}}), errc::bad_member,
                      "is not a member"));
  CAF_CHECK(has_error(n.bootstrap({member{1, group.address(0)}, member{1, "127.0.0.1:9"}}),
                      errc::bad_member, "unique"));
  CAF_CHECK(has_error(n.bootstrap({member{1, "nowhere"}}), errc::bad_member, "HOST:PORT"));
}

CAF_TEST(a start on a port that is taken fails and names the cause) {
  node_group group{1, 1};
  std::optional<held_port> taken{std::in_place, group.port(0)};
  CAF_REQUIRE(taken->ok());
  auto err = group.start(0);
  CAF_MESSAGE("start on a taken port: " << render(err));
  CAF_CHECK(has_error(err, errc::io_failed, group.address(0) + " is in use"));
  taken.reset();
  // The failed node closed itself; a new one on the same directory and port starts.
  group.stop(0);
  CAF_CHECK_EQUAL(render(group.start(0)), "none");
  CAF_CHECK(group.wait_for_leader(10s));
}

CAF_TEST(a single node elects itself and answers each proposal after applying it) {
  node_group group{1, 1};
  group.start_initial();
  auto leader = group.wait_for_leader(10s);
  CAF_REQUIRE(leader);
  CAF_CHECK_EQUAL(*leader, 0u);
  uint64_t previous = 0;
  for (auto& payload : numbered("p", 3)) {
    auto entry = group.propose(0, payload);
    CAF_REQUIRE(entry);
    CAF_CHECK_GREATER(entry->index, previous);
    // The outcome is what the state machine returned for this very entry.
    CAF_CHECK_EQUAL(text(entry->outcome), "applied " + std::to_string(entry->index));
    previous = entry->index;
  }
  CAF_CHECK_EQUAL(group.machine(0).payloads(), numbered("p", 3));
  CAF_CHECK_EQUAL(group.machine(0).tickets_seen(), 3u);
  auto barrier = group.barrier(0);
  CAF_REQUIRE(barrier);
  CAF_CHECK_GREATER(*barrier, previous);
  CAF_REQUIRE(wait_until([&] { return group.node(0).status().applied >= *barrier; }, 5s));
  auto st = group.node(0).status();
  CAF_CHECK_EQUAL(st.role, node_role::leader);
  CAF_CHECK_EQUAL(st.id, 1u);
  CAF_CHECK_EQUAL(st.leader_id, 1u);
  CAF_CHECK_EQUAL(st.leader_address, group.address(0));
  CAF_CHECK_GREATER_OR_EQUAL(st.term, 1u);
  CAF_CHECK_GREATER_OR_EQUAL(st.commit_index, *barrier);
  CAF_CHECK_EQUAL(st.members, (std::vector<member>{member{1, group.address(0)}}));
}

CAF_TEST(after close every command is refused with shutting_down and close does not hang) {
  node_group group{1, 1};
  group.start_initial();
  CAF_REQUIRE(group.wait_for_leader(10s));
  CAF_REQUIRE(group.propose(0, "before"));
  awaited<bool> closed;
  group.node(0).close([cb = closed.callback()] { cb(true); });
  CAF_REQUIRE(closed.wait());
  group.node(0).join();
  CAF_CHECK(has_error(group.propose(0, "after").error(), errc::shutting_down));
  CAF_CHECK(has_error(group.barrier(0).error(), errc::shutting_down));
  CAF_CHECK(has_error(group.change(0,
                                   [](raft_node& n, raft_node::done_callback done) {
                                     n.remove_member(1, std::move(done));
                                   }),
                      errc::shutting_down));
  CAF_CHECK_EQUAL(group.node(0).status().role, node_role::unavailable);
  // Closing again answers at once.
  awaited<bool> again;
  group.node(0).close([cb = again.callback()] { cb(true); });
  CAF_CHECK(again.wait(1s));
}

CAF_TEST(a node closed before it started still closes cleanly) {
  node_group group{1, 1};
  memory_machine machine;
  auto node = raft_node::open(group.config_of(0), machine);
  CAF_REQUIRE(node);
  awaited<caf::error> proposal;
  (*node)->propose(bytes{'x'}, [cb = proposal.callback()](caf::expected<applied_entry> x) {
    cb(x ? caf::error{} : x.error());
  });
  (*node)->close();
  (*node)->join();
  auto err = proposal.wait(5s);
  CAF_REQUIRE(err);
  CAF_CHECK(has_error(*err, errc::shutting_down));
  awaited<caf::error> started;
  (*node)->start(started.callback());
  auto start_err = started.wait(1s);
  CAF_REQUIRE(start_err);
  CAF_CHECK(has_error(*start_err, errc::shutting_down));
}

CAF_TEST(entries of every length survive a restart) {
  // libraft's disk format needs entries padded to 8 bytes; raft_node frames them.
  node_group group{1, 1};
  group.start_initial();
  CAF_REQUIRE(group.wait_for_leader(10s));
  std::vector<std::string> payloads;
  for (size_t n = 0; n <= 17; ++n) {
    payloads.push_back(std::string(n, static_cast<char>('a' + n)));
    CAF_REQUIRE(group.propose(0, payloads.back()));
  }
  group.stop(0);
  CAF_REQUIRE_EQUAL(render(group.start(0)), "none");
  CAF_REQUIRE(group.wait_for_leader(10s));
  CAF_REQUIRE(group.barrier(0));
  CAF_CHECK(wait_until([&] { return group.machine(0).payloads() == payloads; }, 10s));
}

CAF_TEST(snapshots run off the loop thread and a restart restores the latest one) {
  node_group group{1, 1};
  group.snapshot_threshold = 8;
  group.snapshot_trailing = 2;
  group.start_initial();
  CAF_REQUIRE(group.wait_for_leader(10s));
  auto payloads = numbered("s", 30);
  for (auto& p : payloads)
    CAF_REQUIRE(group.propose(0, p));
  CAF_REQUIRE(wait_until([&] { return group.node(0).status().snapshot_index > 0; }, 10s));
  CAF_CHECK_GREATER(group.machine(0).snapshots(), 0u);
  auto [apply_thread, snapshot_thread] = group.machine(0).threads();
  CAF_CHECK(apply_thread != snapshot_thread);
  CAF_CHECK(snapshot_thread != std::this_thread::get_id());
  // The log is bounded: it keeps only the trailing entries behind the snapshot.
  auto before = group.node(0).status();
  CAF_CHECK(before.last_failure.empty());
  group.stop(0);
  CAF_REQUIRE_EQUAL(render(group.start(0)), "none"); // bootstrapping again is a no-op
  CAF_REQUIRE(group.wait_for_leader(10s));
  CAF_REQUIRE(group.barrier(0));
  CAF_REQUIRE(wait_until([&] { return group.machine(0).payloads() == payloads; }, 10s));
  auto restores = group.machine(0).restore_indexes();
  CAF_REQUIRE_EQUAL(restores.size(), 1u);
  CAF_CHECK_EQUAL(restores[0], group.node(0).status().snapshot_index);
  CAF_CHECK_GREATER_OR_EQUAL(restores[0], before.snapshot_index);
}

CAF_TEST(three nodes apply the same entries in order and a follower names the leader) {
  node_group group{3, 3};
  group.start_initial();
  auto leader = group.wait_for_leader(15s);
  CAF_REQUIRE(leader);
  auto follower = (*leader + 1) % 3;
  auto refused = group.propose(follower, "refused");
  CAF_REQUIRE(!refused);
  CAF_CHECK(has_error(refused.error(), errc::not_leader));
  auto hint = leader_of(refused.error());
  CAF_CHECK_EQUAL(hint.id, *leader + 1);
  CAF_CHECK_EQUAL(hint.address, group.address(*leader));
  auto payloads = numbered("e", 20);
  for (auto& p : payloads)
    CAF_REQUIRE(group.propose(*leader, p));
  for (size_t i = 0; i < 3; ++i)
    CAF_CHECK(wait_until([&] { return group.machine(i).payloads() == payloads; }, 10s));
  CAF_CHECK_EQUAL(group.machine(0).records(), group.machine(1).records());
  CAF_CHECK_EQUAL(group.machine(1).records(), group.machine(2).records());
  // Only the proposer's machine saw tickets.
  for (size_t i = 0; i < 3; ++i)
    CAF_CHECK_EQUAL(group.machine(i).tickets_seen(), i == *leader ? payloads.size() : 0u);
}

CAF_TEST(losing the leader yields a new one and a returning node catches up from a snapshot) {
  node_group group{3, 3};
  group.snapshot_threshold = 16;
  group.snapshot_trailing = 4;
  group.start_initial();
  auto old_leader = group.wait_for_leader(15s);
  CAF_REQUIRE(old_leader);
  std::vector<std::string> acknowledged;
  for (auto& p : numbered("a", 10)) {
    CAF_REQUIRE(group.propose(*old_leader, p));
    acknowledged.push_back(p);
  }
  auto stopped_at = group.node(*old_leader).status().last_index;
  group.stop(*old_leader);
  auto started = std::chrono::steady_clock::now();
  auto new_leader = group.wait_for_leader(15s);
  CAF_REQUIRE(new_leader);
  CAF_CHECK_NOT_EQUAL(*new_leader, *old_leader);
  CAF_MESSAGE("new leader after " << std::chrono::duration_cast<std::chrono::milliseconds>(
                                       std::chrono::steady_clock::now() - started)
                                       .count()
                                  << " ms");
  // Nothing acknowledged is lost, and the group keeps committing with two nodes.
  for (auto& p : numbered("b", 60)) {
    CAF_REQUIRE(group.propose(*new_leader, p));
    acknowledged.push_back(p);
  }
  // Both logs get compacted past what the old leader has (whichever of the two leads when
  // it returns), so it can only catch up from a snapshot.
  for (size_t i = 0; i < 3; ++i)
    if (i != *old_leader)
      CAF_REQUIRE(wait_until([&] { return group.node(i).status().snapshot_index
                                          > stopped_at + 4; },
                             10s));
  // The old leader comes back with an empty memory and gets a snapshot from the leader.
  CAF_REQUIRE(!group.start(*old_leader));
  auto& machine = group.machine(*old_leader);
  CAF_CHECK(wait_until([&] { return machine.payloads() == acknowledged; }, 20s));
  auto restores = machine.restore_indexes();
  CAF_REQUIRE(!restores.empty());
  CAF_CHECK_GREATER(restores.back(), stopped_at);
  for (size_t i = 0; i < 3; ++i)
    CAF_CHECK(wait_until([&] { return group.machine(i).payloads() == acknowledged; }, 10s));
}

CAF_TEST(members are added promoted and removed and leadership is transferred) {
  node_group group{4, 3};
  group.start_initial();
  auto leader = group.wait_for_leader(15s);
  CAF_REQUIRE(leader);
  CAF_REQUIRE(group.propose(*leader, "a"));
  // Node 4 starts empty (no bootstrap) and waits to be added.
  CAF_REQUIRE(!group.start(3));
  auto on_follower = group.change((*leader + 1) % 3, [&](raft_node& n, auto done) {
    n.add_member(4, group.address(3), std::move(done));
  });
  CAF_CHECK(has_error(on_follower, errc::not_leader));
  CAF_REQUIRE(!group.change(*leader, [&](raft_node& n, auto done) {
    n.add_member(4, group.address(3), std::move(done));
  }));
  CAF_REQUIRE(!group.change(*leader, [&](raft_node& n, auto done) {
    n.assign_role(4, member_role::voter, std::move(done));
  }));
  CAF_CHECK(wait_until([&] { return group.machine(3).payloads().size() == 1; }, 10s));
  auto members = group.node(*leader).status().members;
  CAF_CHECK_EQUAL(members.size(), 4u);
  CAF_CHECK(std::find(members.begin(), members.end(),
                      member{4, group.address(3), member_role::voter})
            != members.end());
  CAF_CHECK(has_error(group.change(*leader,
                                   [&](raft_node& n, auto done) {
                                     n.add_member(4, group.address(3), std::move(done));
                                   }),
                      errc::bad_member));
  // Hand leadership to the newcomer. libraft's target ignores the hand-over when its log
  // is not exactly the leader's at that moment, and the transfer then ends with
  // transfer_failed after an election timeout: a caller retries.
  for (int attempt = 0; attempt < 3; ++attempt) {
    auto current = group.wait_for_leader(10s);
    CAF_REQUIRE(current);
    if (*current == 3)
      break;
    awaited<caf::expected<uint64_t>> transferred;
    group.node(*current).transfer_leadership(4, transferred.callback());
    auto result = transferred.wait(15s);
    CAF_REQUIRE(result);
    if (*result) {
      CAF_CHECK_EQUAL(**result, 4u);
      break;
    }
    CAF_MESSAGE("transfer attempt " << attempt << ": " << render(result->error()));
    CAF_CHECK(is(result->error(), errc::transfer_failed)
              || is(result->error(), errc::not_leader));
  }
  CAF_REQUIRE(wait_until([&] { return group.agreed_leader() == std::optional<size_t>{3}; }, 10s));
  // Remove the old leader; the rest keep committing.
  auto removed = *leader;
  CAF_REQUIRE(!group.change(3, [&](raft_node& n, auto done) {
    n.remove_member(removed + 1, std::move(done));
  }));
  group.stop(removed);
  CAF_CHECK_EQUAL(group.node(3).status().members.size(), 3u);
  CAF_REQUIRE(group.propose(3, "b"));
  for (size_t i = 0; i < 4; ++i)
    if (i != removed)
      CAF_CHECK(wait_until([&] { return group.machine(i).payloads().size() == 2; }, 10s));
}

CAF_TEST(closing a leader answers a proposal that can no longer commit) {
  node_group group{3, 3};
  group.start_initial();
  auto leader = group.wait_for_leader(15s);
  CAF_REQUIRE(leader);
  for (size_t i = 0; i < 3; ++i)
    if (i != *leader)
      group.stop(i);
  awaited<caf::expected<applied_entry>> pending;
  group.node(*leader).propose(bytes{'x'}, pending.callback());
  group.stop(*leader);
  auto result = pending.wait(5s);
  CAF_REQUIRE(result);
  CAF_REQUIRE(!*result);
  // It failed either when the leader stepped down for lack of a quorum or at the close.
  auto& err = result->error();
  CAF_CHECK(is(err, errc::shutting_down) || is(err, errc::leadership_lost));
}

// The replicator actor: three (or four) in-process nodes, each a replicator with its own sink,
// talking Raft over loopback TCP. Real threads and timeouts (libraft's loops run on their own
// threads), so the suite uses a real actor system and blocking requests with deadlines.

#define CAF_SUITE replicator
#include "caf/test/dsl.hpp"

#include <atomic>
#include <chrono>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "caf/all.hpp"

#include "replication/atoms.hpp"
#include "replication/errc.hpp"
#include "replication/group_settings.hpp"
#include "replication/node_status.hpp"
#include "replication/register_types.hpp"
#include "replication/replicator.hpp"
#include "tests/replication/loopback.hpp"
#include "tests/replication/memory_machine.hpp"

using namespace ooo::storage::replication;
using namespace ooo::storage::replication::test;
using namespace std::chrono_literals;

namespace {

constexpr group_id group = 7;

/// What a test sink did, readable from the test's thread.
struct sink_state {
  memory_machine machine;
  std::mutex mtx;
  /// Entries with this payload are refused (the sink "cannot apply" them).
  std::string poison;
  /// Applying each entry takes this many milliseconds (a slow store).
  std::atomic<int> delay_ms{0};
  /// Every group id the sink was addressed with.
  std::vector<group_id> groups_seen;

  std::string poison_value() {
    std::lock_guard<std::mutex> guard{mtx};
    return poison;
  }
};

/// A sink as the store will be one: applies committed entries to a memory_machine, answers
/// snapshot and restore requests from it.
caf::behavior test_sink(caf::event_based_actor*, std::shared_ptr<sink_state> state) {
  return {
    [state](committed_atom, group_id g, uint64_t index, bytes& payload) -> caf::result<void> {
      {
        std::lock_guard<std::mutex> guard{state->mtx};
        state->groups_seen.push_back(g);
      }
      if (auto ms = state->delay_ms.load(); ms > 0)
        std::this_thread::sleep_for(std::chrono::milliseconds{ms});
      if (!state->poison_value().empty()
          && std::string(payload.begin(), payload.end()) == state->poison_value())
        return make_error(errc::raft_failed, "poisoned entry");
      state->machine.apply(committed_entry{index, payload.data(), payload.size(), 0});
      return caf::unit;
    },
    [state](take_snapshot_atom, group_id, uint64_t index) -> caf::result<snapshot_image> {
      auto image = state->machine.snapshot(index);
      if (!image)
        return image.error();
      return std::move(*image);
    },
    [state](restore_snapshot_atom, group_id, uint64_t index, bytes& image) -> caf::result<void> {
      if (auto err = state->machine.restore(index, std::move(image)))
        return err;
      return caf::unit;
    },
  };
}

/// Sends `n` proposals at once (pipelined), then a barrier; reports the indexes (0 for a
/// refused proposal, with the error counted) and what the sink held when the barrier answered.
struct burst_result {
  std::vector<uint64_t> indexes;
  std::vector<caf::error> errors;
  uint64_t barrier_index = 0;
  size_t applied_at_barrier = 0;
};

using burst_atom = caf::atom_constant<caf::atom("burst")>;

caf::behavior burst(caf::event_based_actor* self, caf::actor replicator,
                    std::shared_ptr<sink_state> sink, std::vector<std::string> payloads,
                    std::shared_ptr<std::promise<burst_result>> done) {
  auto result = std::make_shared<burst_result>();
  result->indexes.resize(payloads.size());
  auto remaining = std::make_shared<size_t>(payloads.size() + 1);
  auto finish = [=] {
    if (--*remaining == 0) {
      done->set_value(*result);
      self->quit();
    }
  };
  for (size_t i = 0; i < payloads.size(); ++i)
    self
      ->request(replicator, 20s, propose_atom::value, group,
                bytes(payloads[i].begin(), payloads[i].end()))
      .then(
        [=](uint64_t index) {
          result->indexes[i] = index;
          finish();
        },
        [=](caf::error& err) {
          result->errors.push_back(err);
          finish();
        });
  // Sent after the proposals by the same actor: it reaches the replicator after them.
  self->request(replicator, 20s, barrier_atom::value, group)
    .then(
      [=](uint64_t index) {
        result->barrier_index = index;
        result->applied_at_barrier = sink->machine.records().size();
        finish();
      },
      [=](caf::error& err) {
        result->errors.push_back(err);
        finish();
      });
  return {
    [](burst_atom) {
      // nop: everything happens in the handlers above
    },
  };
}

struct config : caf::actor_system_config {
  config() {
    register_types(*this);
  }
};

struct node_handles {
  caf::actor replicator;
  caf::actor sink;
  std::shared_ptr<sink_state> state;
};

struct fixture {
  config cfg;
  caf::actor_system sys{cfg};
  caf::scoped_actor self{sys};
  scratch_dir dir;
  std::vector<uint16_t> ports = free_ports(4);
  std::vector<node_handles> nodes;
  std::vector<std::unique_ptr<held_port>> held;
  uint32_t snapshot_threshold = 1024;
  uint32_t snapshot_trailing = 128;
  uint32_t max_pending = 10000;

  fixture() {
    nodes.resize(4);
    held.resize(4);
  }

  ~fixture() {
    for (auto& n : nodes) {
      if (n.replicator)
        self->send_exit(n.replicator, caf::exit_reason::user_shutdown);
      if (n.sink)
        self->send_exit(n.sink, caf::exit_reason::user_shutdown);
    }
  }

  std::string address(size_t i) const {
    return loopback(ports[i]);
  }

  std::vector<member> initial_members() const {
    return {member{1, address(0)}, member{2, address(1)}, member{3, address(2)}};
  }

  group_settings settings_of(size_t i, bool initial) const {
    group_settings s;
    s.group = group;
    s.node.id = i + 1;
    s.node.address = address(i);
    s.node.data_dir = dir.sub("node-" + std::to_string(i + 1));
    s.node.snapshot_threshold = snapshot_threshold;
    s.node.snapshot_trailing = snapshot_trailing;
    s.max_pending = max_pending;
    if (initial)
      s.initial_members = initial_members();
    return s;
  }

  /// Starts node i's replicator (if needed) and opens the group with a fresh sink.
  caf::error open(size_t i, bool initial = true) {
    auto& n = nodes[i];
    held[i].reset();
    if (!n.replicator)
      n.replicator = spawn_replicator(sys);
    if (n.sink)
      self->send_exit(n.sink, caf::exit_reason::user_shutdown);
    n.state = std::make_shared<sink_state>();
    n.sink = sys.spawn(test_sink, n.state);
    caf::error result;
    self->request(n.replicator, 15s, open_group_atom::value, settings_of(i, initial), n.sink)
      .receive([] {}, [&](caf::error& err) { result = err; });
    return result;
  }

  void open_initial() {
    for (size_t i = 0; i < 3; ++i) {
      auto err = open(i);
      CAF_REQUIRE_EQUAL(render(err), "none");
    }
  }

  caf::error close(size_t i) {
    caf::error result;
    self->request(nodes[i].replicator, 15s, close_group_atom::value, group)
      .receive([] {}, [&](caf::error& err) { result = err; });
    // Nothing else (another test process) may take the port while the node is down: its
    // peers keep calling it.
    if (!result)
      held[i] = std::make_unique<held_port>(ports[i]);
    return result;
  }

  caf::expected<node_status> status(size_t i) {
    caf::expected<node_status> result{node_status{}};
    self->request(nodes[i].replicator, 5s, group_status_atom::value, group)
      .receive(
        [&](group_id g, node_status& st) {
          CAF_CHECK_EQUAL(g, group);
          result = std::move(st);
        },
        [&](caf::error& err) { result = err; });
    return result;
  }

  caf::expected<uint64_t> ask_index(size_t i, caf::message request) {
    caf::expected<uint64_t> result{uint64_t{0}};
    self->request(nodes[i].replicator, 20s, std::move(request))
      .receive([&](uint64_t index) { result = index; }, [&](caf::error& err) { result = err; });
    return result;
  }

  caf::expected<uint64_t> propose(size_t i, const std::string& payload) {
    return ask_index(i, caf::make_message(propose_atom::value, group,
                                          bytes(payload.begin(), payload.end())));
  }

  caf::expected<uint64_t> barrier(size_t i) {
    return ask_index(i, caf::make_message(barrier_atom::value, group));
  }

  caf::error ask_empty(size_t i, caf::message request) {
    caf::error result;
    self->request(nodes[i].replicator, 30s, std::move(request))
      .receive([] {}, [&](caf::error& err) { result = err; });
    return result;
  }

  /// The node that every node with an open group names as leader, once they agree.
  std::optional<size_t> agreed_leader(const std::vector<size_t>& among) {
    uint64_t id = 0;
    for (auto i : among) {
      auto st = status(i);
      if (!st || st->leader_id == 0 || (id != 0 && st->leader_id != id))
        return std::nullopt;
      id = st->leader_id;
    }
    auto st = status(id - 1);
    if (!st || st->role != node_role::leader)
      return std::nullopt;
    return id - 1;
  }

  std::optional<size_t> wait_for_leader(const std::vector<size_t>& among,
                                        std::chrono::milliseconds timeout = 15s) {
    std::optional<size_t> leader;
    wait_until([&] { return (leader = agreed_leader(among)).has_value(); }, timeout);
    return leader;
  }

  burst_result run_burst(size_t i, std::vector<std::string> payloads) {
    auto done = std::make_shared<std::promise<burst_result>>();
    auto future = done->get_future();
    sys.spawn(burst, nodes[i].replicator, nodes[i].state, std::move(payloads), done);
    if (future.wait_for(30s) != std::future_status::ready) {
      CAF_FAIL("the burst did not finish within 30 s");
    }
    return future.get();
  }

  std::vector<applied_record> records(size_t i) {
    return nodes[i].state->machine.records();
  }
};

std::vector<std::string> numbered(const std::string& prefix, int n) {
  std::vector<std::string> out;
  for (int i = 0; i < n; ++i)
    out.push_back(prefix + std::to_string(i));
  return out;
}

std::vector<std::string> payloads_of(const std::vector<applied_record>& records) {
  std::vector<std::string> out;
  for (auto& r : records)
    out.push_back(r.payload);
  return out;
}

bool has_error(const caf::error& err, errc code) {
  if (!is(err, code)) {
    CAF_MESSAGE("expected " << to_string(code) << ", got " << render(err));
    return false;
  }
  return true;
}

} // namespace

CAF_TEST_FIXTURE_SCOPE(replicator_tests, fixture)

CAF_TEST(every sink receives the same entries in the same order) {
  open_initial();
  auto leader = wait_for_leader({0, 1, 2});
  CAF_REQUIRE(leader);
  std::vector<std::string> acknowledged;
  std::vector<uint64_t> indexes;
  for (auto& p : numbered("s", 5)) {
    auto index = propose(*leader, p);
    CAF_REQUIRE(index);
    acknowledged.push_back(p);
    indexes.push_back(*index);
  }
  // A proposal is answered only after this node's sink applied it.
  CAF_CHECK_EQUAL(payloads_of(records(*leader)), acknowledged);
  auto burst = run_burst(*leader, numbered("p", 40));
  CAF_REQUIRE(burst.errors.empty());
  for (size_t i = 0; i < burst.indexes.size(); ++i) {
    acknowledged.push_back("p" + std::to_string(i));
    indexes.push_back(burst.indexes[i]);
  }
  for (size_t i = 1; i < indexes.size(); ++i)
    CAF_CHECK_GREATER(indexes[i], indexes[i - 1]);
  for (size_t n = 0; n < 3; ++n) {
    CAF_CHECK(wait_until([&] { return payloads_of(records(n)) == acknowledged; }, 10s));
    auto got = records(n);
    CAF_REQUIRE_EQUAL(got.size(), indexes.size());
    for (size_t i = 0; i < got.size(); ++i)
      CAF_CHECK_EQUAL(got[i].index, indexes[i]);
    std::lock_guard<std::mutex> guard{nodes[n].state->mtx};
    for (auto g : nodes[n].state->groups_seen)
      CAF_CHECK_EQUAL(g, group);
  }
  // The sink-acknowledged applied index reaches the last entry everywhere.
  for (size_t n = 0; n < 3; ++n)
    CAF_CHECK(wait_until([&] { return status(n)->applied >= indexes.back(); }, 10s));
}

CAF_TEST(a follower refuses a proposal and names the leader) {
  open_initial();
  auto leader = wait_for_leader({0, 1, 2});
  CAF_REQUIRE(leader);
  auto follower = (*leader + 1) % 3;
  auto refused = propose(follower, "x");
  CAF_REQUIRE(!refused);
  CAF_CHECK(has_error(refused.error(), errc::not_leader));
  auto hint = leader_of(refused.error());
  CAF_CHECK_EQUAL(hint.id, *leader + 1);
  CAF_CHECK_EQUAL(hint.address, address(*leader));
  CAF_CHECK_EQUAL(sys.render(refused.error()),
                  "not_leader: leader " + std::to_string(*leader + 1) + " at " + address(*leader));
  auto st = status(follower);
  CAF_REQUIRE(st);
  CAF_CHECK_EQUAL(st->role, node_role::follower);
  CAF_CHECK_EQUAL(st->leader_address, address(*leader));
  CAF_CHECK(has_error(barrier(follower).error(), errc::not_leader));
  // Every request names its group; an unknown one is refused.
  auto unknown = ask_index(*leader, caf::make_message(propose_atom::value, group_id{99},
                                                      bytes{'x'}));
  CAF_CHECK(has_error(unknown.error(), errc::unknown_group));
  CAF_CHECK(has_error(open(*leader), errc::group_exists));
}

CAF_TEST(a barrier answers only after the sink applied every earlier entry) {
  open_initial();
  auto leader = wait_for_leader({0, 1, 2});
  CAF_REQUIRE(leader);
  // A slow sink: libraft's own barrier fires long before this sink has caught up.
  nodes[*leader].state->delay_ms = 20;
  auto burst = run_burst(*leader, numbered("b", 10));
  CAF_REQUIRE(burst.errors.empty());
  CAF_CHECK_EQUAL(burst.applied_at_barrier, 10u);
  CAF_CHECK_GREATER(burst.barrier_index, burst.indexes.back());
}

CAF_TEST(barriers in a row answer although the sink never sees a barrier entry) {
  open_initial();
  auto leader = wait_for_leader({0, 1, 2});
  CAF_REQUIRE(leader);
  CAF_REQUIRE(propose(*leader, "before"));
  // Nothing but barriers after the last entry: each one's index follows the previous barrier,
  // which the sink never applies, so "applied up to the index before" never holds for them.
  uint64_t last = 0;
  for (int i = 0; i < 3; ++i) {
    auto index = barrier(*leader);
    CAF_REQUIRE(index);
    CAF_CHECK_GREATER(*index, last);
    last = *index;
  }
  CAF_REQUIRE(propose(*leader, "after"));
  CAF_CHECK(barrier(*leader));
}

CAF_TEST(losing the leader yields a new one and a returning node catches up) {
  snapshot_threshold = 16;
  snapshot_trailing = 4;
  open_initial();
  auto old_leader = wait_for_leader({0, 1, 2});
  CAF_REQUIRE(old_leader);
  std::vector<std::string> acknowledged;
  for (auto& p : numbered("a", 10)) {
    CAF_REQUIRE(propose(*old_leader, p));
    acknowledged.push_back(p);
  }
  auto stopped_at = status(*old_leader)->last_index;
  CAF_REQUIRE_EQUAL(render(close(*old_leader)), "none");
  std::vector<size_t> rest;
  for (size_t i = 0; i < 3; ++i)
    if (i != *old_leader)
      rest.push_back(i);
  auto started = std::chrono::steady_clock::now();
  auto new_leader = wait_for_leader(rest);
  CAF_REQUIRE(new_leader);
  auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
    std::chrono::steady_clock::now() - started);
  CAF_MESSAGE("new leader after " << elapsed.count() << " ms");
  CAF_CHECK_LESS(elapsed, 10s);
  auto burst = run_burst(*new_leader, numbered("b", 60));
  CAF_REQUIRE(burst.errors.empty());
  for (size_t i = 0; i < 60; ++i)
    acknowledged.push_back("b" + std::to_string(i));
  for (auto i : rest)
    CAF_CHECK(wait_until([&] { return payloads_of(records(i)) == acknowledged; }, 10s));
  // Both logs get compacted past what the old leader has (whichever of the two leads when
  // it returns), so it can only catch up from a snapshot.
  for (auto i : rest)
    CAF_REQUIRE(wait_until([&] { return status(i)->snapshot_index > stopped_at + 4; }, 10s));
  // The old leader comes back with an empty sink.
  CAF_REQUIRE_EQUAL(render(open(*old_leader)), "none");
  auto& returning = *nodes[*old_leader].state;
  CAF_CHECK(wait_until([&] { return payloads_of(records(*old_leader)) == acknowledged; }, 20s));
  auto restores = returning.machine.restore_indexes();
  CAF_REQUIRE(!restores.empty());
  CAF_CHECK_GREATER(restores.back(), stopped_at);
  CAF_CHECK_EQUAL(records(*old_leader), records(*new_leader));
}

CAF_TEST(members are added and removed and leadership moves through the replicator) {
  open_initial();
  auto leader = wait_for_leader({0, 1, 2});
  CAF_REQUIRE(leader);
  CAF_REQUIRE(propose(*leader, "a"));
  CAF_REQUIRE_EQUAL(render(open(3, false)), "none");
  auto follower = (*leader + 1) % 3;
  CAF_CHECK(has_error(ask_empty(follower, caf::make_message(add_member_atom::value, group,
                                                            uint64_t{4}, address(3))),
                      errc::not_leader));
  CAF_REQUIRE_EQUAL(render(ask_empty(*leader, caf::make_message(add_member_atom::value, group,
                                                                uint64_t{4}, address(3)))),
                    "none");
  CAF_REQUIRE_EQUAL(render(ask_empty(*leader, caf::make_message(assign_role_atom::value, group,
                                                                uint64_t{4},
                                                                member_role::voter))),
                    "none");
  CAF_CHECK(wait_until([&] { return payloads_of(records(3)) == std::vector<std::string>{"a"}; },
                       10s));
  // libraft's target ignores the hand-over when its log is not exactly the leader's at that
  // moment; the transfer then ends with transfer_failed after an election timeout, and a
  // caller retries.
  for (int attempt = 0; attempt < 3; ++attempt) {
    auto current = wait_for_leader({0, 1, 2, 3});
    CAF_REQUIRE(current);
    if (*current == 3)
      break;
    auto moved = ask_index(*current, caf::make_message(transfer_atom::value, group,
                                                       uint64_t{4}));
    if (moved) {
      CAF_CHECK_EQUAL(*moved, 4u);
      break;
    }
    CAF_MESSAGE("transfer attempt " << attempt << ": " << render(moved.error()));
    CAF_CHECK(is(moved.error(), errc::transfer_failed) || is(moved.error(), errc::not_leader));
  }
  CAF_REQUIRE(wait_for_leader({0, 1, 2, 3}) == std::optional<size_t>{3});
  CAF_REQUIRE_EQUAL(render(ask_empty(3, caf::make_message(remove_member_atom::value, group,
                                                          uint64_t{*leader + 1}))),
                    "none");
  CAF_CHECK_EQUAL(status(3)->members.size(), 3u);
  CAF_REQUIRE_EQUAL(render(close(*leader)), "none");
  CAF_REQUIRE(propose(3, "b"));
  for (size_t i = 0; i < 4; ++i)
    if (i != *leader)
      CAF_CHECK(wait_until([&] { return records(i).size() == 2; }, 10s));
}

CAF_TEST(a sink that fails an entry stops the group on its node only) {
  open_initial();
  auto leader = wait_for_leader({0, 1, 2});
  CAF_REQUIRE(leader);
  auto broken = (*leader + 1) % 3;
  auto healthy = (*leader + 2) % 3;
  {
    std::lock_guard<std::mutex> guard{nodes[broken].state->mtx};
    nodes[broken].state->poison = "poison";
  }
  CAF_REQUIRE(propose(*leader, "poison"));
  CAF_REQUIRE(propose(*leader, "after"));
  CAF_CHECK(wait_until([&] { return records(healthy).size() == 2; }, 10s));
  CAF_REQUIRE(wait_until([&] { return !status(broken)->last_failure.empty(); }, 10s));
  CAF_CHECK_NOT_EQUAL(status(broken)->last_failure.find("apply_failed"), std::string::npos);
  CAF_CHECK(has_error(propose(broken, "x").error(), errc::apply_failed));
  CAF_CHECK_EQUAL(payloads_of(records(broken)), std::vector<std::string>{});
  CAF_CHECK_EQUAL(render(close(broken)), "none");
  // The group is gone from that node and can be opened again.
  CAF_CHECK(has_error(status(broken).error(), errc::unknown_group));
}

CAF_TEST(proposals beyond max_pending are refused) {
  max_pending = 2;
  open_initial();
  auto leader = wait_for_leader({0, 1, 2});
  CAF_REQUIRE(leader);
  nodes[*leader].state->delay_ms = 20;
  auto burst = run_burst(*leader, numbered("m", 10));
  size_t refused = 0;
  for (auto& err : burst.errors)
    if (is(err, errc::too_many_pending))
      ++refused;
  CAF_CHECK_EQUAL(refused, burst.errors.size());
  CAF_CHECK_GREATER(refused, 0u);
  std::vector<std::string> accepted;
  for (size_t i = 0; i < burst.indexes.size(); ++i)
    if (burst.indexes[i] != 0)
      accepted.push_back("m" + std::to_string(i));
  CAF_CHECK_EQUAL(accepted.size() + refused, 10u);
  CAF_CHECK(wait_until([&] { return payloads_of(records(*leader)) == accepted; }, 10s));
}

CAF_TEST(settings that cannot work are refused before anything opens) {
  nodes[0].replicator = spawn_replicator(sys);
  auto sink = sys.spawn(test_sink, std::make_shared<sink_state>());
  auto bad = settings_of(0, true);
  bad.node.address = "nowhere";
  caf::error result;
  self->request(nodes[0].replicator, 5s, open_group_atom::value, bad, sink)
    .receive([] {}, [&](caf::error& err) { result = err; });
  CAF_CHECK(has_error(result, errc::invalid_config));
  bad = settings_of(0, true);
  bad.max_pending = 0;
  self->request(nodes[0].replicator, 5s, open_group_atom::value, bad, sink)
    .receive([] {}, [&](caf::error& err) { result = err; });
  CAF_CHECK(has_error(result, errc::invalid_config));
  self->send_exit(sink, caf::exit_reason::user_shutdown);
}

CAF_TEST(a group whose start fails is not kept and can be opened again) {
  std::optional<held_port> taken{std::in_place, ports[0]};
  CAF_REQUIRE(taken->ok());
  CAF_CHECK(has_error(open(0), errc::io_failed));
  taken.reset();
  CAF_REQUIRE(wait_until([&] { return !status(0) && is(status(0).error(), errc::unknown_group); },
                         5s));
  CAF_CHECK_EQUAL(render(open(0)), "none");
}

CAF_TEST_FIXTURE_SCOPE_END()

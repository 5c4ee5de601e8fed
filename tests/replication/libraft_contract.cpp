// What replication/ relies on in libraft 0.15, pinned with its deterministic in-memory cluster
// (raft/fixture.h). libraft's upstream is archived: if a future Debian package changes one of
// these behaviours, this suite says which. Each server's state machine is a memory_machine
// behind our own fsm_adapter (snapshots on the loop thread: the fixture's I/O has no workers).

#define CAF_SUITE libraft_contract
#include "caf/test/dsl.hpp"

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "replication/detail/entry_frame.hpp"
#include "replication/detail/fsm_adapter.hpp"
#include "replication/detail/raft_c.hpp"
#include "tests/replication/memory_machine.hpp"

extern "C" {
#include <raft/fixture.h>
}

using namespace ooo::storage::replication;
using ooo::storage::replication::test::memory_machine;

namespace {

/// A proposal's callback, recorded: whether and how it fired, and what the cluster looked
/// like at that moment.
struct apply_probe {
  struct raft_apply req;
  struct raft_fixture* cluster = nullptr;
  bool fired = false;
  int status = -1;
  /// How many servers had stored the entry when the callback fired.
  unsigned stored_on = 0;
  /// How many entries the proposer's state machine had applied when the callback fired.
  uint64_t applied_then = 0;
};

struct barrier_probe {
  struct raft_barrier req;
  bool fired = false;
  int status = -1;
  uint64_t applied_then = 0;
  const memory_machine* machine = nullptr;
};

struct change_probe {
  struct raft_change req;
  bool fired = false;
  int status = -1;
};

struct transfer_probe {
  struct raft_transfer req;
  bool fired = false;
};

/// A cluster of in-memory servers, each with its memory_machine.
struct cluster {
  raft_fixture f;
  std::vector<std::unique_ptr<memory_machine>> machines;
  std::vector<std::unique_ptr<detail::fsm_adapter>> adapters;

  /// `n` servers, the first `voters` of them voters, bootstrapped and started.
  explicit cluster(unsigned n, unsigned voters = 0) {
    // raft_fixture_initialize (0.15) leaves the server count and leader id uninitialised.
    std::memset(&f, 0, sizeof(f));
    CAF_REQUIRE_EQUAL(raft_fixture_initialize(&f), 0);
    for (unsigned i = 0; i < n; ++i)
      grow();
    raft_configuration conf;
    CAF_REQUIRE_EQUAL(raft_fixture_configuration(&f, voters == 0 ? n : voters, &conf), 0);
    CAF_REQUIRE_EQUAL(raft_fixture_bootstrap(&f, &conf), 0);
    raft_configuration_close(&conf);
    CAF_REQUIRE_EQUAL(raft_fixture_start(&f), 0);
  }

  ~cluster() {
    raft_fixture_close(&f);
  }

  /// Adds a server that is neither bootstrapped nor started; returns its index.
  unsigned grow() {
    machines.push_back(std::make_unique<memory_machine>());
    adapters.push_back(
      std::make_unique<detail::fsm_adapter>(*machines.back(), detail::snapshot_thread::loop));
    CAF_REQUIRE_EQUAL(raft_fixture_grow(&f, adapters.back()->fsm()), 0);
    auto i = raft_fixture_n(&f) - 1;
    adapters.back()->bind(raft_fixture_get(&f, i));
    return i;
  }

  raft* server(unsigned i) {
    return raft_fixture_get(&f, i);
  }

  unsigned elect_first_leader() {
    CAF_REQUIRE(raft_fixture_step_until_has_leader(&f, 10000));
    return raft_fixture_leader_index(&f);
  }

  bool step_until(std::function<bool()> done, unsigned max_msecs) {
    return raft_fixture_step_until(
      &f, [](raft_fixture*, void* arg) { return (*static_cast<std::function<bool()>*>(arg))(); },
      &done, max_msecs);
  }

  /// Proposes `payload` on server `i`; returns libraft's code.
  int propose(unsigned i, const std::string& payload, apply_probe& probe) {
    probe.req.data = &probe;
    probe.cluster = &f;
    auto buf = detail::frame(payload.data(), payload.size());
    auto rv = raft_apply(server(i), &probe.req, &buf, 1, [](struct raft_apply* req, int status,
                                                            void*) {
      auto p = static_cast<apply_probe*>(req->data);
      p->fired = true;
      p->status = status;
      for (unsigned j = 0; j < raft_fixture_n(p->cluster); ++j)
        if (raft_fixture_get(p->cluster, j)->last_stored >= req->index)
          ++p->stored_on;
    });
    if (rv != 0)
      raft_free(buf.base);
    return rv;
  }

  /// Proposes on the leader and steps until every live server applied it.
  void commit(unsigned leader, const std::string& payload) {
    apply_probe probe;
    CAF_REQUIRE_EQUAL(propose(leader, payload, probe), 0);
    CAF_REQUIRE(step_until([&] { return probe.fired; }, 10000));
    CAF_REQUIRE_EQUAL(probe.status, 0);
  }

  void isolate(unsigned i) {
    for (unsigned j = 0; j < raft_fixture_n(&f); ++j)
      if (j != i) {
        raft_fixture_disconnect(&f, i, j);
        raft_fixture_disconnect(&f, j, i);
      }
  }

  void connect(unsigned i, unsigned j) {
    raft_fixture_reconnect(&f, i, j);
    raft_fixture_reconnect(&f, j, i);
  }

  void heal(unsigned i) {
    for (unsigned j = 0; j < raft_fixture_n(&f); ++j)
      if (j != i) {
        raft_fixture_reconnect(&f, i, j);
        raft_fixture_reconnect(&f, j, i);
      }
  }

  raft_id leader_known_by(unsigned i) {
    raft_id id = 0;
    const char* address = nullptr;
    raft_leader(server(i), &id, &address);
    return id;
  }

  std::vector<std::string> payloads(unsigned i) {
    return machines[i]->payloads();
  }
};

bool has_member(raft* r, raft_id id, int role) {
  for (unsigned i = 0; i < r->configuration.n; ++i)
    if (r->configuration.servers[i].id == id)
      return r->configuration.servers[i].role == role;
  return false;
}

} // namespace

CAF_TEST(election yields one leader that every follower names) {
  cluster c{3};
  auto l = c.elect_first_leader();
  unsigned leaders = 0;
  for (unsigned i = 0; i < 3; ++i)
    if (raft_state(c.server(i)) == RAFT_LEADER)
      ++leaders;
  CAF_CHECK_EQUAL(leaders, 1u);
  CAF_REQUIRE(c.step_until(
    [&] {
      for (unsigned i = 0; i < 3; ++i)
        if (c.leader_known_by(i) != l + 1)
          return false;
      return true;
    },
    2000));
  for (unsigned i = 0; i < 3; ++i) {
    CAF_CHECK_EQUAL(c.server(i)->current_term, c.server(l)->current_term);
    raft_id id = 0;
    const char* address = nullptr;
    raft_leader(c.server(i), &id, &address);
    CAF_REQUIRE(address != nullptr);
    CAF_CHECK_EQUAL(std::string{address}, std::to_string(l + 1));
  }
}

CAF_TEST(the apply callback fires only after a majority stored the entry and it was applied) {
  cluster c{3};
  auto l = c.elect_first_leader();
  auto a = (l + 1) % 3;
  c.isolate(l);
  apply_probe probe;
  CAF_REQUIRE_EQUAL(c.propose(l, "x", probe), 0);
  // Alone, the leader stores the entry but cannot commit it (300 ms < election timeout).
  raft_fixture_step_until_elapsed(&c.f, 300);
  CAF_CHECK(!probe.fired);
  CAF_CHECK(c.machines[l]->records().empty());
  CAF_CHECK_EQUAL(c.server(l)->last_stored, probe.req.index);
  c.connect(l, a);
  CAF_REQUIRE(c.step_until([&] { return probe.fired; }, 2000));
  CAF_CHECK_EQUAL(probe.status, 0);
  CAF_CHECK_GREATER_OR_EQUAL(probe.stored_on, 2u);
  // The state machine saw the entry under the index the proposal got, before the callback.
  auto records = c.machines[l]->records();
  CAF_REQUIRE_EQUAL(records.size(), 1u);
  CAF_CHECK_EQUAL(records[0].index, probe.req.index);
  CAF_CHECK_EQUAL(records[0].payload, "x");
  CAF_CHECK_EQUAL(raft_last_applied(c.server(l)), probe.req.index);
}

CAF_TEST(entries are applied in log order with the same indexes on every server) {
  cluster c{3};
  auto l = c.elect_first_leader();
  std::vector<apply_probe> probes(5);
  for (size_t i = 0; i < probes.size(); ++i)
    CAF_REQUIRE_EQUAL(c.propose(l, "e" + std::to_string(i), probes[i]), 0);
  CAF_REQUIRE(raft_fixture_step_until_applied(&c.f, 3, probes.back().req.index, 5000));
  for (size_t i = 1; i < probes.size(); ++i)
    CAF_CHECK_EQUAL(probes[i].req.index, probes[i - 1].req.index + 1);
  for (unsigned s = 0; s < 3; ++s) {
    auto records = c.machines[s]->records();
    CAF_REQUIRE_EQUAL(records.size(), probes.size());
    for (size_t i = 0; i < probes.size(); ++i) {
      CAF_CHECK_EQUAL(records[i].index, probes[i].req.index);
      CAF_CHECK_EQUAL(records[i].payload, "e" + std::to_string(i));
    }
  }
}

CAF_TEST(a barrier fires after every earlier entry is applied and takes an index itself) {
  cluster c{3};
  auto l = c.elect_first_leader();
  apply_probe first;
  apply_probe second;
  CAF_REQUIRE_EQUAL(c.propose(l, "a", first), 0);
  CAF_REQUIRE_EQUAL(c.propose(l, "b", second), 0);
  barrier_probe barrier;
  barrier.req.data = &barrier;
  barrier.machine = c.machines[l].get();
  CAF_REQUIRE_EQUAL(raft_barrier(c.server(l), &barrier.req,
                                 [](struct raft_barrier* req, int status) {
                                   auto p = static_cast<barrier_probe*>(req->data);
                                   p->fired = true;
                                   p->status = status;
                                   p->applied_then = p->machine->records().size();
                                 }),
                    0);
  CAF_REQUIRE(c.step_until([&] { return barrier.fired; }, 5000));
  CAF_CHECK_EQUAL(barrier.status, 0);
  CAF_CHECK_EQUAL(barrier.applied_then, 2u);
  CAF_CHECK_EQUAL(barrier.req.index, second.req.index + 1);
  // The next command comes after the barrier's index: the state machine sees a gap.
  c.commit(l, "c");
  auto records = c.machines[l]->records();
  CAF_REQUIRE_EQUAL(records.size(), 3u);
  CAF_CHECK_EQUAL(records[2].index, barrier.req.index + 1);
}

CAF_TEST(a new leader follows a dead one and keeps every committed entry) {
  cluster c{3};
  auto l = c.elect_first_leader();
  auto term = c.server(l)->current_term;
  for (auto x : {"a", "b", "c"})
    c.commit(l, x);
  raft_fixture_kill(&c.f, l);
  CAF_REQUIRE(c.step_until(
    [&] {
      for (unsigned i = 0; i < 3; ++i)
        if (i != l && raft_state(c.server(i)) == RAFT_LEADER)
          return true;
      return false;
    },
    10000));
  unsigned n = 3;
  for (unsigned i = 0; i < 3; ++i)
    if (i != l && raft_state(c.server(i)) == RAFT_LEADER)
      n = i;
  CAF_CHECK_GREATER(c.server(n)->current_term, term);
  c.commit(n, "d");
  std::vector<std::string> expected{"a", "b", "c", "d"};
  for (unsigned i = 0; i < 3; ++i)
    if (i != l) {
      auto& machine = *c.machines[i];
      CAF_REQUIRE(c.step_until([&] { return machine.records().size() == 4; }, 5000));
      CAF_CHECK_EQUAL(c.payloads(i), expected);
    }
  raft_fixture_revive(&c.f, l);
  CAF_REQUIRE(c.step_until([&] { return c.machines[l]->records().size() == 4; }, 10000));
  CAF_CHECK_EQUAL(c.payloads(l), expected);
  CAF_CHECK_EQUAL(raft_state(c.server(l)), RAFT_FOLLOWER);
}

CAF_TEST(a leader cut off in a minority cannot commit and its proposal fails) {
  cluster c{3};
  auto l = c.elect_first_leader();
  c.commit(l, "before");
  c.isolate(l);
  apply_probe lost;
  CAF_REQUIRE_EQUAL(c.propose(l, "lost", lost), 0);
  // The majority elects a new leader; the old one steps down for lack of a quorum and fails
  // its pending proposal with RAFT_LEADERSHIPLOST.
  CAF_REQUIRE(c.step_until(
    [&] {
      bool other_leads = false;
      for (unsigned i = 0; i < 3; ++i)
        other_leads |= i != l && raft_state(c.server(i)) == RAFT_LEADER;
      return other_leads && lost.fired;
    },
    10000));
  CAF_CHECK_EQUAL(lost.status, RAFT_LEADERSHIPLOST);
  CAF_CHECK_NOT_EQUAL(raft_state(c.server(l)), RAFT_LEADER);
  unsigned n = 0;
  for (unsigned i = 0; i < 3; ++i)
    if (raft_state(c.server(i)) == RAFT_LEADER)
      n = i;
  apply_probe refused;
  CAF_CHECK_EQUAL(c.propose(l, "refused", refused), RAFT_NOTLEADER);
  c.commit(n, "after");
  c.heal(l);
  CAF_REQUIRE(c.step_until([&] { return c.machines[l]->records().size() == 2; }, 10000));
  std::vector<std::string> expected{"before", "after"};
  for (unsigned i = 0; i < 3; ++i)
    CAF_CHECK_EQUAL(c.payloads(i), expected);
}

CAF_TEST(a lagging server catches up from a snapshot once the log was compacted) {
  cluster c{3};
  for (unsigned i = 0; i < 3; ++i) {
    raft_set_snapshot_threshold(c.server(i), 4);
    raft_set_snapshot_trailing(c.server(i), 2);
  }
  auto l = c.elect_first_leader();
  auto lagging = (l + 1) % 3;
  c.commit(l, "e0");
  raft_fixture_kill(&c.f, lagging);
  std::vector<std::string> expected{"e0"};
  for (int i = 1; i < 20; ++i) {
    expected.push_back("e" + std::to_string(i));
    c.commit(l, expected.back());
  }
  auto snapshot_index = c.server(l)->log.snapshot.last_index;
  CAF_CHECK_GREATER(snapshot_index, 4u);
  CAF_CHECK_GREATER(c.machines[l]->snapshots(), 0u);
  // The leader's log no longer holds what the lagging server misses.
  CAF_CHECK_GREATER(snapshot_index - 2, c.server(lagging)->last_stored);
  raft_fixture_revive(&c.f, lagging);
  auto& machine = *c.machines[lagging];
  CAF_REQUIRE(c.step_until([&] { return machine.records().size() == expected.size(); }, 10000));
  CAF_CHECK_GREATER_OR_EQUAL(raft_fixture_n_recv(&c.f, lagging, RAFT_IO_INSTALL_SNAPSHOT), 1u);
  auto restores = machine.restore_indexes();
  CAF_REQUIRE(!restores.empty());
  // restore learnt the index the snapshot covers (our header); it is one the leader took.
  auto taken = c.machines[l]->snapshot_indexes();
  CAF_CHECK(std::find(taken.begin(), taken.end(), restores.back()) != taken.end());
  CAF_CHECK_EQUAL(c.payloads(lagging), expected);
  CAF_CHECK_EQUAL(machine.records(), c.machines[l]->records());
}

CAF_TEST(a failing snapshot is retried later and is not fatal) {
  cluster c{3};
  for (unsigned i = 0; i < 3; ++i)
    raft_set_snapshot_threshold(c.server(i), 4);
  auto l = c.elect_first_leader();
  for (unsigned i = 0; i < 3; ++i)
    c.machines[i]->fail_snapshots(true);
  for (int i = 0; i < 10; ++i)
    c.commit(l, "x" + std::to_string(i));
  CAF_CHECK_EQUAL(c.server(l)->log.snapshot.last_index, 0u);
  CAF_CHECK_EQUAL(raft_state(c.server(l)), RAFT_LEADER);
  for (unsigned i = 0; i < 3; ++i)
    c.machines[i]->fail_snapshots(false);
  c.commit(l, "y");
  // The retry happens at the next applied entry; storing the snapshot takes a disk write.
  CAF_CHECK(c.step_until([&] { return c.server(l)->log.snapshot.last_index > 0; }, 1000));
  CAF_CHECK_GREATER(c.machines[l]->snapshots(), 0u);
}

CAF_TEST(membership changes add a spare then promote it to voter then remove another member) {
  cluster c{3};
  auto l = c.elect_first_leader();
  c.commit(l, "a");
  auto fresh = c.grow();
  CAF_REQUIRE_EQUAL(raft_start(c.server(fresh)), 0);
  raft_id fresh_id = fresh + 1;
  change_probe add;
  add.req.data = &add;
  auto on_change = [](struct raft_change* req, int status) {
    auto p = static_cast<change_probe*>(req->data);
    p->fired = true;
    p->status = status;
  };
  CAF_REQUIRE_EQUAL(raft_add(c.server(l), &add.req, fresh_id, "4", on_change), 0);
  // One configuration change at a time.
  change_probe second;
  second.req.data = &second;
  CAF_CHECK_EQUAL(raft_remove(c.server(l), &second.req, (l + 1) % 3 + 1, on_change),
                  RAFT_CANTCHANGE);
  CAF_REQUIRE(c.step_until([&] { return add.fired; }, 5000));
  CAF_CHECK_EQUAL(add.status, 0);
  CAF_CHECK(has_member(c.server(l), fresh_id, RAFT_SPARE));
  change_probe promote;
  promote.req.data = &promote;
  CAF_REQUIRE_EQUAL(raft_assign(c.server(l), &promote.req, fresh_id, RAFT_VOTER, on_change), 0);
  CAF_REQUIRE(c.step_until([&] { return promote.fired; }, 10000));
  CAF_CHECK_EQUAL(promote.status, 0);
  CAF_CHECK(has_member(c.server(l), fresh_id, RAFT_VOTER));
  // The promoted member caught up with the log.
  CAF_REQUIRE(c.step_until([&] { return c.machines[fresh]->records().size() == 1; }, 5000));
  auto removed = (l + 1) % 3;
  change_probe remove;
  remove.req.data = &remove;
  CAF_REQUIRE_EQUAL(raft_remove(c.server(l), &remove.req, removed + 1, on_change), 0);
  CAF_REQUIRE(c.step_until([&] { return remove.fired; }, 5000));
  CAF_CHECK_EQUAL(remove.status, 0);
  CAF_CHECK_EQUAL(c.server(l)->configuration.n, 3u);
  CAF_CHECK(!has_member(c.server(l), removed + 1, RAFT_VOTER));
  // The new configuration commits without the removed member.
  raft_fixture_kill(&c.f, removed);
  c.commit(l, "b");
  CAF_REQUIRE(c.step_until([&] { return c.machines[fresh]->records().size() == 2; }, 5000));
  CAF_CHECK_EQUAL(c.payloads(fresh), (std::vector<std::string>{"a", "b"}));
}

CAF_TEST(transfer hands leadership to the named voter and refuses proposals meanwhile) {
  cluster c{3};
  auto l = c.elect_first_leader();
  c.commit(l, "a");
  auto target = (l + 2) % 3;
  transfer_probe transfer;
  transfer.req.data = &transfer;
  CAF_REQUIRE_EQUAL(raft_transfer(c.server(l), &transfer.req, target + 1,
                                  [](struct raft_transfer* req) {
                                    static_cast<transfer_probe*>(req->data)->fired = true;
                                  }),
                    0);
  apply_probe refused;
  CAF_CHECK_EQUAL(c.propose(l, "refused", refused), RAFT_NOTLEADER);
  CAF_REQUIRE(c.step_until([&] { return transfer.fired; }, 5000));
  CAF_CHECK_EQUAL(c.leader_known_by(l), target + 1);
  CAF_CHECK_EQUAL(raft_state(c.server(target)), RAFT_LEADER);
  c.commit(target, "b");
  CAF_REQUIRE(c.step_until([&] { return c.machines[l]->records().size() == 2; }, 5000));
  CAF_CHECK_EQUAL(c.payloads(l), (std::vector<std::string>{"a", "b"}));
}

#include "replication/replicator.hpp"

#include <map>
#include <memory>

#include "caf/all.hpp"

#include "replication/atoms.hpp"
#include "replication/detail/actor_machine.hpp"
#include "replication/detail/replica.hpp"
#include "replication/errc.hpp"
#include "replication/group_settings.hpp"

namespace ooo::storage::replication {

namespace {

struct replicator_state {
  std::map<group_id, std::unique_ptr<detail::replica>> groups;
  /// Tells apart two openings of the same group id, so that a late event of a closed
  /// opening never reaches the next one.
  uint64_t next_incarnation = 1;

  detail::replica* find(group_id group) {
    auto i = groups.find(group);
    return i == groups.end() ? nullptr : i->second.get();
  }

  detail::replica* find(group_id group, uint64_t incarnation) {
    auto r = find(group);
    return r != nullptr && r->incarnation() == incarnation ? r : nullptr;
  }

  static inline const char* name = "replicator";
};

using replicator_actor = caf::stateful_actor<replicator_state>;

caf::error unknown(group_id group) {
  return make_error(errc::unknown_group, "group " + std::to_string(group));
}

/// Runs `f` on the group's replica with a promise for the reply, or answers unknown_group.
template <class F>
caf::response_promise with_group(replicator_actor* self, group_id group, F f) {
  auto rp = self->make_response_promise();
  if (auto r = self->state.find(group))
    f(*r, rp);
  else
    rp.deliver(unknown(group));
  return rp;
}

caf::behavior replicator(replicator_actor* self) {
  self->set_down_handler([self](caf::down_msg& msg) {
    for (auto& [group, r] : self->state.groups)
      if (r->sink().address() == msg.source)
        r->fail(make_error(errc::apply_failed, "the sink of group " + std::to_string(group)
                                                 + " terminated"));
  });
  self->set_exit_handler([self](caf::exit_msg& msg) {
    // Answer everyone, then close every server before going away (each destructor closes
    // and joins its loop thread; nothing there waits for this actor any more).
    std::vector<caf::response_promise> closed;
    for (auto& [group, r] : self->state.groups) {
      r->abandon(make_error(errc::shutting_down));
      for (auto& rp : r->take_close_waiters())
        closed.push_back(std::move(rp));
    }
    self->state.groups.clear();
    for (auto& rp : closed)
      rp.deliver(caf::unit);
    self->quit(msg.reason);
  });
  return {
    [self](open_group_atom, group_settings& settings, caf::actor& sink) {
      auto rp = self->make_response_promise();
      if (auto err = validate(settings)) {
        rp.deliver(err);
        return rp;
      }
      if (!sink) {
        rp.deliver(make_error(errc::invalid_config, "the sink is not an actor"));
        return rp;
      }
      auto group = settings.group;
      if (self->state.find(group) != nullptr) {
        rp.deliver(make_error(errc::group_exists, "group " + std::to_string(group)));
        return rp;
      }
      auto find = [self](group_id g, uint64_t incarnation) {
        return self->state.find(g, incarnation);
      };
      auto r = std::make_unique<detail::replica>(self, find, std::move(settings), sink,
                                                 self->state.next_incarnation++);
      if (auto err = r->open()) {
        rp.deliver(err);
        return rp;
      }
      self->monitor(sink);
      auto& replica = *r;
      self->state.groups.emplace(group, std::move(r));
      // Answered once the server started; a failed start drops the group again.
      replica.start(rp);
      return rp;
    },
    [self](close_group_atom, group_id group) {
      return with_group(self, group, [](detail::replica& r, caf::response_promise& rp) {
        r.close(rp);
      });
    },
    [self](propose_atom, group_id group, bytes& payload) {
      return with_group(self, group, [&](detail::replica& r, caf::response_promise& rp) {
        r.propose(std::move(payload), rp);
      });
    },
    [self](barrier_atom, group_id group) {
      return with_group(self, group, [](detail::replica& r, caf::response_promise& rp) {
        r.barrier(rp);
      });
    },
    [self](add_member_atom, group_id group, uint64_t id, std::string& address) {
      return with_group(self, group, [&](detail::replica& r, caf::response_promise& rp) {
        r.change(
          [id, address](raft_node& n, raft_node::done_callback done) {
            n.add_member(id, address, std::move(done));
          },
          rp);
      });
    },
    [self](assign_role_atom, group_id group, uint64_t id, member_role role) {
      return with_group(self, group, [&](detail::replica& r, caf::response_promise& rp) {
        r.change(
          [id, role](raft_node& n, raft_node::done_callback done) {
            n.assign_role(id, role, std::move(done));
          },
          rp);
      });
    },
    [self](remove_member_atom, group_id group, uint64_t id) {
      return with_group(self, group, [&](detail::replica& r, caf::response_promise& rp) {
        r.change(
          [id](raft_node& n, raft_node::done_callback done) {
            n.remove_member(id, std::move(done));
          },
          rp);
      });
    },
    [self](transfer_atom, group_id group, uint64_t id) {
      return with_group(self, group, [&](detail::replica& r, caf::response_promise& rp) {
        r.transfer(id, rp);
      });
    },
    [self](group_status_atom, group_id group) {
      return with_group(self, group, [group](detail::replica& r, caf::response_promise& rp) {
        rp.deliver(group, r.status());
      });
    },
    [self](detail::loop_event_atom, group_id group, uint64_t incarnation,
           detail::loop_event& event) {
      auto r = self->state.find(group, incarnation);
      if (r == nullptr)
        return;
      event.run(*r);
      if (r->finished())
        self->state.groups.erase(group);
    },
  };
}

} // namespace

caf::actor spawn_replicator(caf::actor_system& sys) {
  return sys.spawn(replicator);
}

} // namespace ooo::storage::replication

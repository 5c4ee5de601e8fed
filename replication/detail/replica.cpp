#include "replication/detail/replica.hpp"

#include "caf/unit.hpp"

#include "replication/atoms.hpp"
#include "replication/errc.hpp"

namespace ooo::storage::replication::detail {

replica::replica(caf::event_based_actor* self, lookup find, group_settings settings,
                 caf::actor sink, uint64_t incarnation)
  : self_(self),
    find_(std::move(find)),
    settings_(std::move(settings)),
    sink_(std::move(sink)),
    incarnation_(incarnation) {
  machine_ = std::make_unique<actor_machine>(self->address(), settings_.group, incarnation_,
                                             settings_.node.snapshot_timeout,
                                             settings_.node.restore_timeout);
}

replica::~replica() {
  machine_->cancel();
  // raft_node's destructor closes and joins; nothing of the loop waits for this actor now.
  node_.reset();
}

caf::error replica::open() {
  auto node = raft_node::open(settings_.node, *machine_);
  if (!node)
    return node.error();
  node_ = std::move(*node);
  if (!settings_.initial_members.empty())
    if (auto err = node_->bootstrap(settings_.initial_members))
      return err;
  return caf::error{};
}

void replica::start(caf::response_promise rp) {
  node_->start([machine = machine_.get(), rp](caf::error err) mutable {
    machine->post([machine, rp, err](replica& r) mutable {
      if (!err) {
        rp.deliver(caf::unit);
        return;
      }
      rp.deliver(err);
      // The server closes itself after a failed start; once it did, the replicator drops
      // the group (on_closed sets finished).
      r.failure_ = err;
      r.closing_ = true;
      r.node_->close([machine] { machine->post([](replica& x) { x.on_closed(); }); });
    });
  });
}

void replica::propose(bytes payload, caf::response_promise rp) {
  if (failure_) {
    rp.deliver(failure_);
    return;
  }
  if (closing_) {
    rp.deliver(make_error(errc::shutting_down));
    return;
  }
  if (proposals_.size() >= settings_.max_pending) {
    rp.deliver(make_error(errc::too_many_pending,
                          std::to_string(proposals_.size()) + " proposals are waiting"));
    return;
  }
  // The callback may run (on the loop thread) before propose returns; its event is handled
  // by this actor later, after this handler stored the ticket in the shared cell.
  auto ticket_cell = std::make_shared<uint64_t>(0);
  auto machine = machine_.get();
  auto ticket = node_->propose(std::move(payload), [machine, ticket_cell](
                                                     caf::expected<applied_entry> x) {
    // Success needs no event: the entry itself came first (with the ticket), and the sink's
    // answer to it completes the proposal.
    if (!x)
      machine->post([ticket_cell, err = x.error()](replica& r) mutable {
        r.on_proposal_failed(*ticket_cell, std::move(err));
      });
  });
  *ticket_cell = ticket;
  proposals_.emplace(ticket, std::move(rp));
}

void replica::barrier(caf::response_promise rp) {
  if (failure_) {
    rp.deliver(failure_);
    return;
  }
  auto token = next_barrier_token_++;
  barriers_in_flight_.emplace(token, std::move(rp));
  node_->barrier([machine = machine_.get(), token](caf::expected<uint64_t> index) {
    machine->post([token, index = std::move(index)](replica& r) mutable {
      r.on_barrier_committed(token, std::move(index));
    });
  });
}

void replica::change(std::function<void(raft_node&, raft_node::done_callback)> submit,
                     caf::response_promise rp) {
  submit(*node_, [machine = machine_.get(), rp](caf::error err) mutable {
    machine->post([rp, err](replica&) mutable {
      if (err)
        rp.deliver(err);
      else
        rp.deliver(caf::unit);
    });
  });
}

void replica::transfer(uint64_t id, caf::response_promise rp) {
  node_->transfer_leadership(id, [machine = machine_.get(), rp](caf::expected<uint64_t> x) {
    machine->post([rp, x = std::move(x)](replica&) mutable { rp.deliver(std::move(x)); });
  });
}

node_status replica::status() const {
  auto st = node_->status();
  st.applied = applied();
  if (failure_)
    st.last_failure = render(failure_);
  return st;
}

void replica::close(caf::response_promise rp) {
  close_waiters_.push_back(std::move(rp));
  closing_ = true;
  // Each call registers one more callback; all fire once the loop thread ends (at once
  // when it has ended already).
  node_->close([machine = machine_.get()] {
    machine->post([](replica& r) { r.on_closed(); });
  });
}

void replica::fail(caf::error err) {
  if (failure_)
    return;
  failure_ = err;
  abandon(err);
  closing_ = true;
  node_->close();
}

void replica::abandon(const caf::error& err) {
  for (auto& [ticket, rp] : proposals_)
    rp.deliver(err);
  proposals_.clear();
  ticket_at_index_.clear();
  for (auto& [token, rp] : barriers_in_flight_)
    rp.deliver(err);
  barriers_in_flight_.clear();
  for (auto& [index, rp] : barriers_)
    rp.deliver(err);
  barriers_.clear();
}

// -- events from the server's threads ------------------------------------------------------

void replica::delivered(uint64_t index) {
  delivered_ = std::max(delivered_, index);
  unacked_.insert(index);
}

void replica::acked(uint64_t index) {
  unacked_.erase(index);
  auto t = ticket_at_index_.find(index);
  if (t != ticket_at_index_.end()) {
    auto p = proposals_.find(t->second);
    if (p != proposals_.end()) {
      p->second.deliver(index);
      proposals_.erase(p);
    }
    ticket_at_index_.erase(t);
  }
  release_barriers();
}

uint64_t replica::applied() const {
  return unacked_.empty() ? delivered_ : *unacked_.begin() - 1;
}

void replica::release_barriers() {
  // A barrier is known here only once libraft applied it, so every entry before it was handed
  // to the sink already: it is released once none of those waits for the sink's answer. (Its
  // own index, and those of barriers and configuration changes before it, never reach the
  // sink: "applied up to the index before it" would keep a barrier that follows another one
  // waiting for the next entry.)
  while (!barriers_.empty()
         && (unacked_.empty() || *unacked_.begin() > barriers_.begin()->first)) {
    barriers_.begin()->second.deliver(barriers_.begin()->first);
    barriers_.erase(barriers_.begin());
  }
}

void replica::on_entry(uint64_t index, bytes payload, uint64_t ticket) {
  if (failure_)
    return;
  delivered(index);
  if (ticket != 0)
    ticket_at_index_.emplace(index, ticket);
  auto find = find_;
  auto group = settings_.group;
  auto incarnation = incarnation_;
  self_->request(sink_, caf::infinite, committed_atom::value, group, index, std::move(payload))
    .then(
      [find, group, incarnation, index] {
        if (auto r = find(group, incarnation))
          r->acked(index);
      },
      [find, group, incarnation, index](caf::error& err) {
        if (auto r = find(group, incarnation))
          r->fail(make_error(errc::apply_failed, "the sink failed entry " + std::to_string(index)
                                                   + ": " + render(err)));
      });
}

void replica::on_restore(uint64_t index, bytes image,
                         std::shared_ptr<pending_result<caf::error>> result) {
  if (failure_) {
    result->finish(failure_);
    return;
  }
  auto find = find_;
  auto group = settings_.group;
  auto incarnation = incarnation_;
  // No entry is handed over while the loop thread waits for this answer.
  self_
    ->request(sink_, caf::infinite, restore_snapshot_atom::value, group, index,
              std::move(image))
    .then(
      [find, group, incarnation, index, result] {
        result->finish(caf::error{});
        if (auto r = find(group, incarnation)) {
          r->delivered_ = std::max(r->delivered_, index);
          r->release_barriers();
        }
      },
      [result, index](caf::error& err) {
        result->finish(make_error(errc::snapshot_failed, "the sink failed to restore index "
                                                           + std::to_string(index) + ": "
                                                           + render(err)));
      });
}

void replica::on_snapshot(
  uint64_t index, std::shared_ptr<pending_result<caf::expected<snapshot_image>>> result) {
  if (failure_) {
    result->finish(failure_);
    return;
  }
  self_
    ->request(sink_, caf::infinite, take_snapshot_atom::value, settings_.group, index)
    .then([result](snapshot_image& image) { result->finish(std::move(image)); },
          [result](caf::error& err) { result->finish(std::move(err)); });
}

void replica::on_proposal_failed(uint64_t ticket, caf::error err) {
  auto p = proposals_.find(ticket);
  if (p == proposals_.end())
    return;
  p->second.deliver(std::move(err));
  proposals_.erase(p);
}

void replica::on_barrier_committed(uint64_t token, caf::expected<uint64_t> index) {
  auto b = barriers_in_flight_.find(token);
  if (b == barriers_in_flight_.end())
    return;
  auto rp = std::move(b->second);
  barriers_in_flight_.erase(b);
  if (!index) {
    rp.deliver(index.error());
    return;
  }
  barriers_.emplace(*index, std::move(rp));
  release_barriers();
}

void replica::on_closed() {
  if (!finished_) {
    finished_ = true;
    node_->join();
    abandon(failure_ ? failure_ : make_error(errc::shutting_down));
  }
  for (auto& rp : close_waiters_)
    rp.deliver(caf::unit);
  close_waiters_.clear();
}

} // namespace ooo::storage::replication::detail

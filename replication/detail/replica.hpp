#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <unordered_map>
#include <vector>

#include "caf/actor.hpp"
#include "caf/event_based_actor.hpp"
#include "caf/response_promise.hpp"

#include "replication/detail/actor_machine.hpp"
#include "replication/group_settings.hpp"
#include "replication/node_status.hpp"
#include "replication/raft_node.hpp"

namespace ooo::storage::replication::detail {

/// One group as the replicator keeps it: the Raft server, the requests waiting for it, and
/// how far the sink has applied. Lives on the replicator's actor thread; the server's threads
/// reach it only through `loop_event`s, which `event` builds.
class replica {
public:
  /// Finds a live replica from a response handler (the replica may be gone by then).
  using lookup = std::function<replica*(group_id, uint64_t incarnation)>;

  replica(caf::event_based_actor* self, lookup find, group_settings settings, caf::actor sink,
          uint64_t incarnation);

  /// Closes the server and waits for its thread (the normal path is `close`, which does not
  /// block the actor); answers nothing: the actor is going away.
  ~replica();

  replica(const replica&) = delete;
  replica& operator=(const replica&) = delete;

  group_id id() const {
    return settings_.group;
  }

  uint64_t incarnation() const {
    return incarnation_;
  }

  const caf::actor& sink() const {
    return sink_;
  }

  /// Opens the server's directory and transport and bootstraps it if asked to.
  caf::error open();

  /// Starts the server; `rp` learns the outcome.
  void start(caf::response_promise rp);

  void propose(bytes payload, caf::response_promise rp);

  void barrier(caf::response_promise rp);

  /// Runs a configuration change (`raft_node::add_member` and friends).
  void change(std::function<void(raft_node&, raft_node::done_callback)> submit,
              caf::response_promise rp);

  void transfer(uint64_t id, caf::response_promise rp);

  node_status status() const;

  /// Begins closing; `rp` is answered once the server's thread ended (see `closed`).
  void close(caf::response_promise rp);

  /// True once `close` began or the group failed.
  bool closing() const {
    return closing_;
  }

  /// True once the server's thread ended: the replicator drops the replica then.
  bool finished() const {
    return finished_;
  }

  /// Stops the group on this node for good: answers everything pending with `err` and
  /// closes the server. Used when the sink fails or terminates.
  void fail(caf::error err);

  /// Answers every waiting request with `err` (the replicator is exiting).
  void abandon(const caf::error& err);

  /// Hands over the promises of `close` requests, to be answered once the replica is gone.
  std::vector<caf::response_promise> take_close_waiters() {
    return std::move(close_waiters_);
  }

  // -- events from the server's threads ------------------------------------------------------

  void on_entry(uint64_t index, bytes payload, uint64_t ticket);
  void on_restore(uint64_t index, bytes image,
                  std::shared_ptr<pending_result<caf::error>> result);
  void on_snapshot(uint64_t index,
                   std::shared_ptr<pending_result<caf::expected<snapshot_image>>> result);
  void on_proposal_failed(uint64_t ticket, caf::error err);
  void on_barrier_committed(uint64_t token, caf::expected<uint64_t> index);
  /// The server's thread ended.
  void on_closed();

private:
  /// Marks `index` as handed to the sink; `acked` completes it.
  void delivered(uint64_t index);
  void acked(uint64_t index);
  /// Everything up to here was applied by the sink.
  uint64_t applied() const;
  /// Answers the barriers whose earlier entries are all applied.
  void release_barriers();

  caf::event_based_actor* self_;
  lookup find_;
  group_settings settings_;
  caf::actor sink_;
  uint64_t incarnation_;
  std::unique_ptr<actor_machine> machine_;
  std::unique_ptr<raft_node> node_;

  /// Proposals waiting for their commit, by ticket; and the tickets of entries handed to the
  /// sink whose answer completes them, by index.
  std::unordered_map<uint64_t, caf::response_promise> proposals_;
  std::unordered_map<uint64_t, uint64_t> ticket_at_index_;

  /// Barriers waiting for their entry to commit, by token; then for the sink, by index.
  uint64_t next_barrier_token_ = 1;
  std::unordered_map<uint64_t, caf::response_promise> barriers_in_flight_;
  std::multimap<uint64_t, caf::response_promise> barriers_;

  /// The highest index handed to the sink, and those it has not answered yet.
  uint64_t delivered_ = 0;
  std::set<uint64_t> unacked_;

  caf::error failure_;
  bool closing_ = false;
  bool finished_ = false;
  std::vector<caf::response_promise> close_waiters_;
};

} // namespace ooo::storage::replication::detail

#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "caf/error.hpp"
#include "caf/expected.hpp"

#include "replication/member.hpp"
#include "replication/node_config.hpp"
#include "replication/node_status.hpp"
#include "replication/state_machine.hpp"

namespace ooo::storage::replication {

/// What a proposal's callback receives once its entry is committed and applied here.
struct applied_entry {
  /// The entry's Raft index.
  uint64_t index = 0;
  /// What `state_machine::apply` returned for it.
  bytes outcome;
};

/// One Raft server of one group: a `struct raft` with libraft's disk I/O (`raft_uv_init`, in
/// `node_config::data_dir`) and TCP transport (`raft_uv_tcp_init`, on
/// `node_config::address`), driven by its own libuv loop on its own thread.
///
/// Every method is thread-safe and returns at once: it queues a command into the loop
/// (`uv_async_send`) and reports through a callback. Callbacks run on the loop thread, in
/// the order libraft produces the events; they must not block and must not wait for the
/// node. After `close`, a new command is refused at once with `shutting_down`, on the
/// caller's thread.
///
/// Lifecycle: `open` (validates, initialises libraft; nothing runs yet), optionally
/// `bootstrap` (the initial members, on every initial member, only while the data directory
/// is pristine), `start` (starts the loop thread: libraft loads the log, restores the latest
/// snapshot into the state machine and joins the group), then any command, then `close`
/// (`raft_close`, the I/O closed, the loop stops and its thread ends) and `join`. The
/// destructor does `close` and `join` if they were not done; it must not run on the node's
/// own loop thread (a callback must not destroy its node).
class raft_node {
public:
  using done_callback = std::function<void(caf::error)>;
  using index_callback = std::function<void(caf::expected<uint64_t>)>;
  using applied_callback = std::function<void(caf::expected<applied_entry>)>;

  /// Checks `cfg` (`invalid_config`), creates the data directory and initialises libraft
  /// (`io_failed` when the directory is unusable). `machine` must outlive the node.
  static caf::expected<std::unique_ptr<raft_node>> open(node_config cfg, state_machine& machine);

  ~raft_node();

  raft_node(const raft_node&) = delete;
  raft_node& operator=(const raft_node&) = delete;

  /// Writes the group's first configuration (every member a voter) as the log's first entry.
  /// Call it before `start`, with the same members on every initial member. A data directory
  /// that already holds state is left alone and that is not an error: restarting a node
  /// runs the same code as starting it the first time. Runs on the caller's thread.
  caf::error bootstrap(const std::vector<member>& members);

  /// Starts the loop thread and the Raft server; `done` reports the outcome (`io_failed`
  /// naming the cause, e.g. the port in use). A failed start closes the node.
  void start(done_callback done);

  /// Proposes `payload` as a new entry. `done` fires once the entry is committed (a
  /// majority stored it) and applied on this node, with its index and the state machine's
  /// outcome; or with `not_leader` (naming the leader), `leadership_lost` (the outcome is
  /// unknown: the entry may still commit), `shutting_down`. Returns the proposal's ticket,
  /// which `committed_entry::ticket` carries when the entry is applied here.
  uint64_t propose(bytes payload, applied_callback done);

  /// Appends a barrier entry; `done` fires with its index once every entry before it is
  /// applied on this node. On the leader this makes a read linearizable: what the state
  /// machine holds then includes every write acknowledged before the barrier began.
  void barrier(index_callback done);

  /// Adds a member as `spare` (libraft's first step); make it a voter with `assign_role`.
  /// Leader only. One configuration change at a time (`change_in_progress`).
  void add_member(uint64_t id, std::string address, done_callback done);

  /// Changes a member's role. Promoting to `voter` first catches the member up with the log
  /// (libraft's catch-up rounds), so the group never waits for a voter that lags far behind.
  void assign_role(uint64_t id, member_role role, done_callback done);

  /// Removes a member; a leader that removes itself steps down once the change commits.
  void remove_member(uint64_t id, done_callback done);

  /// Hands leadership to member `id` (0: the most up-to-date voter). `done` fires with the new
  /// leader's id once it is elected, or `transfer_failed` when an election timeout passed.
  void transfer_leadership(uint64_t id, index_callback done);

  /// This node's view of the group as of the loop's latest iteration. Never blocks on the
  /// loop: the loop refreshes a copy after every iteration.
  node_status status() const;

  /// Begins a clean shutdown: `raft_close` (pending callbacks fire with `shutting_down` or
  /// `leadership_lost`), then the I/O, then the loop. `closed` runs on the loop thread as it
  /// ends; `join` then returns at once. Safe to call more than once and before `start`.
  void close(std::function<void()> closed = {});

  /// Waits until the loop thread has ended. Call `close` first; must not be called on the
  /// loop thread (that would wait for itself).
  void join();

  /// True on this node's loop thread: code that may run there must not wait for the node.
  bool on_loop_thread() const;

  /// Private state (libuv and libraft structures); public only so that the C callbacks in
  /// the implementation can name it.
  struct impl;

private:
  explicit raft_node(std::unique_ptr<impl> state);

  std::unique_ptr<impl> impl_;
};

} // namespace ooo::storage::replication

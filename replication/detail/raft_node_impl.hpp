#pragma once

// The private state of a raft_node: libuv and libraft structures, the command queue into the
// loop, the requests in flight, the status copy. Only raft_node.cpp and raft_node_impl.cpp
// see it.

#include <atomic>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <tuple>
#include <unordered_map>
#include <vector>

#include "replication/detail/fsm_adapter.hpp"
#include "replication/detail/raft_c.hpp"
#include "replication/raft_node.hpp"

namespace ooo::storage::replication {

namespace detail {

/// A command queued into the loop: runs there with `alive` true, or is refused with `alive`
/// false (the node is closing), on the loop thread or on the caller's thread.
using command = std::function<void(bool alive)>;

} // namespace detail

struct raft_node::impl {
  using command = detail::command;
  using fsm_adapter = detail::fsm_adapter;

  impl(node_config config, state_machine& machine);

  // -- requests in flight (loop thread only) --------------------------------------------------

  struct proposal {
    struct raft_apply req;
    impl* node;
    uint64_t ticket;
    applied_callback done;
    bytes outcome;
  };

  struct barrier_request {
    struct raft_barrier req;
    impl* node;
    index_callback done;
  };

  struct change_request {
    raft_change req;
    impl* node;
    done_callback done;
  };

  struct transfer_request {
    struct raft_transfer req;
    impl* node;
    index_callback done;
  };

  /// The adapter's hooks: the ticket of the local proposal for `index`, its outcome, and
  /// snapshot or restore failures (kept for `status`).
  uint64_t ticket_at(uint64_t index) const;

  void keep_outcome(uint64_t index, bytes outcome);

  void note_failure(const std::string& what);

  /// The error for a libraft code; `not_leader` names the leader this node knows of.
  caf::error error_of(int rv);

  /// libraft's callbacks for the requests above; each reports and frees its request.
  static void on_applied(struct raft_apply* req, int status, void*);

  static void on_barrier(struct raft_barrier* req, int status);

  static void on_change(raft_change* req, int status);

  static void on_transfer(struct raft_transfer* req);

  // -- the command queue ----------------------------------------------------------------------

  /// Queues `cmd` into the loop, or refuses it at once when the node is closing.
  void post(command cmd);

  /// Runs the queued commands (uv_async callback).
  static void on_wakeup(uv_async_t* handle);

  // -- status ---------------------------------------------------------------------------------

  /// Refreshes `cached` after each loop iteration (uv_check callback).
  static void on_refresh(uv_check_t* handle);

  void refresh_status();

  /// libraft's latest error text: the server's, else its I/O's, else its transport's (a
  /// failure inside raft_uv, such as a taken port, is described only there).
  std::string last_message() const;

  /// Why raft_start failed, as precisely as we can tell: raft_uv gives no text when it
  /// cannot listen, so a failed start checks whether the address is taken.
  std::string start_failure_detail() const;

  // -- lifecycle (loop thread) ----------------------------------------------------------------

  /// The loop thread: raft_start, then the loop until everything is closed.
  void run();

  /// Refuses further commands and calls raft_close; on_raft_closed closes the rest.
  void begin_close();

  static void on_raft_closed(raft* server);

  node_config cfg;
  fsm_adapter adapter;

  uv_loop_t loop;
  uv_async_t wakeup;
  uv_check_t refresh;
  raft_uv_transport transport;
  raft_io io;
  raft server;

  std::thread thread;
  std::mutex join_mtx;
  std::atomic<std::thread::id> loop_thread{};

  // Guarded by mtx.
  std::mutex mtx;
  std::vector<command> queue;
  bool accepting = true;
  bool launched = false;
  bool close_requested = false;
  bool finished = false;
  done_callback start_done;
  std::vector<std::function<void()>> closed_callbacks;

  // Loop thread only.
  bool started = false;
  bool closing = false;
  std::unordered_map<uint64_t, proposal*> proposals;
  std::tuple<uint64_t, uint64_t, unsigned> members_version{~uint64_t{0}, 0, 0};

  std::atomic<uint64_t> next_ticket{1};

  mutable std::mutex status_mtx;
  node_status cached;
};

} // namespace ooo::storage::replication

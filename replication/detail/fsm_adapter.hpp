#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "replication/detail/raft_c.hpp"
#include "replication/state_machine.hpp"

namespace ooo::storage::replication::detail {

/// Where libraft asks for a snapshot's content.
enum class snapshot_thread {
  /// On the loop thread, inside `fsm->snapshot` (libraft's FSM version 2). The only choice
  /// with libraft's in-memory test fixture, whose I/O declares no asynchronous work.
  loop,
  /// On a libuv worker thread (FSM version 3, `snapshot_async`), so that a slow snapshot
  /// does not stop heartbeats. Needs an I/O of version 2 or later.
  worker,
};

/// How the adapter learns which local proposal a committed entry answers, hands that
/// proposal the state machine's outcome, and reports what failed. Each may be empty.
struct adapter_hooks {
  /// The ticket of the local proposal waiting for the entry at `index`, or 0 (loop thread).
  std::function<uint64_t(uint64_t index)> ticket_at;
  /// The state machine's outcome for the entry at `index`, which the local proposal
  /// `ticket_at(index)` waits for (loop thread; called only when that ticket is not 0).
  std::function<void(uint64_t index, bytes outcome)> outcome;
  /// A snapshot or restore failed; `what` says which and why (loop or worker thread).
  std::function<void(const std::string& what)> failure;
};

/// Presents a `state_machine` to libraft as a `struct raft_fsm`.
///
/// It adds what libraft's C interface leaves out: `apply` learns the entry's index (libraft
/// applies entry `last_applied + 1`, and updates `last_applied` only after `apply`
/// returned); a snapshot starts with a 16-byte header that carries the index it covers, so
/// that `restore`, which libraft calls with the bytes only, learns it back; snapshot chunks
/// stay owned by the adapter (FSM version 2's `snapshot_finalize`), so they are not copied.
class fsm_adapter {
public:
  fsm_adapter(state_machine& machine, snapshot_thread where, adapter_hooks hooks = {});

  fsm_adapter(const fsm_adapter&) = delete;
  fsm_adapter& operator=(const fsm_adapter&) = delete;

  /// The C interface to hand to `raft_init` (or `raft_fixture_grow`).
  raft_fsm* fsm() {
    return &fsm_;
  }

  /// Tells the adapter which server it serves; call right after `raft_init`.
  void bind(raft* server) {
    raft_ = server;
  }

  /// Length of the header that precedes the state machine's chunks in a snapshot.
  static constexpr size_t header_size = 16;

  /// The header of a snapshot covering `index`.
  static bytes make_header(uint64_t index);

  /// Reads the index from a snapshot header; false if `data` does not start with one.
  static bool read_header(const char* data, size_t size, uint64_t& index);

private:
  static int apply_cb(raft_fsm* fsm, const raft_buffer* buf, void** result);
  static int snapshot_cb(raft_fsm* fsm, raft_buffer* bufs[], unsigned* n_bufs);
  static int snapshot_async_cb(raft_fsm* fsm, raft_buffer* bufs[], unsigned* n_bufs);
  static int snapshot_finalize_cb(raft_fsm* fsm, raft_buffer* bufs[], unsigned* n_bufs);
  static int restore_cb(raft_fsm* fsm, raft_buffer* buf);

  /// Asks the state machine for the pending snapshot and points `bufs` at its chunks.
  int produce(raft_buffer* bufs[], unsigned* n_bufs);

  void report(const std::string& what);

  state_machine& machine_;
  adapter_hooks hooks_;
  raft* raft_ = nullptr;
  raft_fsm fsm_;
  /// The snapshot libraft is taking (one at a time): its index, header, chunks and the
  /// `raft_buffer` array pointing into them.
  uint64_t pending_index_ = 0;
  bytes pending_header_;
  snapshot_image pending_;
  std::vector<raft_buffer> pending_bufs_;
};

} // namespace ooo::storage::replication::detail

#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>

#include "caf/actor_addr.hpp"
#include "caf/allowed_unsafe_message_type.hpp"
#include "caf/atom.hpp"

#include "replication/member.hpp"
#include "replication/state_machine.hpp"

namespace ooo::storage::replication::detail {

class replica;

/// Something that happened on a group's loop (or worker) thread, to be handled by the
/// replicator's actor thread, where the group's bookkeeping lives. Local only.
struct loop_event {
  std::function<void(replica&)> run;
};

/// Tags a `loop_event` message: `loop_event_atom, group_id, incarnation, loop_event`.
using loop_event_atom = caf::atom_constant<caf::atom("loopevent")>;

/// A result that another thread waits for, with a deadline and a way to give up early.
template <class T>
class pending_result {
public:
  void finish(T x) {
    {
      std::lock_guard<std::mutex> guard{mtx_};
      if (value_)
        return;
      value_ = std::move(x);
    }
    cv_.notify_all();
  }

  /// The value, or nothing when `timeout` passed or `cancelled` became true first.
  std::optional<T> wait(std::chrono::milliseconds timeout, const std::atomic<bool>& cancelled) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    std::unique_lock<std::mutex> guard{mtx_};
    while (!value_ && !cancelled.load()) {
      auto now = std::chrono::steady_clock::now();
      if (now >= deadline)
        break;
      // Short slices, so that a cancellation is seen without a notification.
      cv_.wait_for(guard, std::min<std::chrono::steady_clock::duration>(
                            deadline - now, std::chrono::milliseconds{50}));
    }
    return std::move(value_);
  }

private:
  std::mutex mtx_;
  std::condition_variable cv_;
  std::optional<T> value_;
};

/// The state machine of a group opened through the replicator. It runs on the group's loop
/// and worker threads and does nothing itself: each call becomes a `loop_event` for the
/// replicator, which forwards it to the group's sink in the same order. `snapshot` and
/// `restore` wait for the sink's answer (bounded by the node's timeouts).
class actor_machine : public state_machine {
public:
  actor_machine(caf::actor_addr replicator, group_id group, uint64_t incarnation,
                std::chrono::milliseconds snapshot_timeout,
                std::chrono::milliseconds restore_timeout);

  bytes apply(const committed_entry& entry) override;

  caf::expected<snapshot_image> snapshot(uint64_t index) override;

  caf::error restore(uint64_t index, bytes image) override;

  /// Sends `event` to the replicator; false if the replicator is gone.
  bool post(std::function<void(replica&)> event) const;

  /// Makes waiting calls return at once (with an error), now and from now on: the group is
  /// being torn down and no one will answer them.
  void cancel();

private:
  caf::actor_addr replicator_;
  group_id group_;
  uint64_t incarnation_;
  std::chrono::milliseconds snapshot_timeout_;
  std::chrono::milliseconds restore_timeout_;
  std::atomic<bool> cancelled_{false};
};

} // namespace ooo::storage::replication::detail

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(ooo::storage::replication::detail::loop_event)

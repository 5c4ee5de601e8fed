#pragma once

#include <functional>
#include <thread>

namespace ooo::storage::cli {

/// Turns SIGINT and SIGTERM into a call of `on_interrupt` on a thread of its own (never inside
/// a signal handler). `block()` must run before any other thread exists (before the actor
/// system), so that every thread inherits the mask and only this one takes the signals.
class interrupts {
public:
  /// Blocks SIGINT, SIGTERM (and the internal wake-up signal) in the calling thread.
  static void block();

  /// Starts waiting; `on_interrupt` runs at most once.
  void start(std::function<void()> on_interrupt);

  /// Stops waiting and joins the thread.
  ~interrupts();

private:
  std::thread thread_;
};

} // namespace ooo::storage::cli

#include "apps/cli/interrupts.hpp"

#include <csignal>

#include <pthread.h>

namespace ooo::storage::cli {

namespace {

/// Wakes the waiting thread when nothing interrupted it.
constexpr int wake_signal = SIGUSR2;

sigset_t waited_set() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, wake_signal);
  return set;
}

} // namespace

void interrupts::block() {
  auto set = waited_set();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

void interrupts::start(std::function<void()> on_interrupt) {
  thread_ = std::thread{[f = std::move(on_interrupt)] {
    auto set = waited_set();
    int sig = 0;
    if (sigwait(&set, &sig) == 0 && sig != wake_signal)
      f();
  }};
}

interrupts::~interrupts() {
  if (thread_.joinable()) {
    pthread_kill(thread_.native_handle(), wake_signal);
    thread_.join();
  }
}

} // namespace ooo::storage::cli

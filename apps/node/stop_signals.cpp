#include "apps/node/stop_signals.hpp"

#include <csignal>

#include <pthread.h>

namespace ooo::storage {

namespace {

sigset_t stop_set() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  return set;
}

} // namespace

void block_stop_signals() {
  auto set = stop_set();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

const char* wait_for_stop_signal() {
  auto set = stop_set();
  int sig = 0;
  while (sigwait(&set, &sig) != 0) {
    // nop: sigwait only fails for an invalid set
  }
  return sig == SIGTERM ? "SIGTERM" : "SIGINT";
}

} // namespace ooo::storage

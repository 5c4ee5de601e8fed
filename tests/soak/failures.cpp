#include "tests/soak/failures.hpp"

#include <atomic>
#include <iostream>
#include <mutex>

namespace ooo::storage::soak {

namespace {

std::mutex failure_mtx;
std::vector<std::string> failure_msgs;
std::atomic<size_t> failures{0};

} // namespace

void fail(const std::string& what) {
  ++failures;
  std::lock_guard<std::mutex> guard{failure_mtx};
  if (failure_msgs.size() < 40)
    failure_msgs.push_back(what);
  std::cerr << "FAIL: " << what << std::endl;
}

size_t failure_count() {
  return failures.load();
}

std::vector<std::string> first_failures() {
  std::lock_guard<std::mutex> guard{failure_mtx};
  return failure_msgs;
}

} // namespace ooo::storage::soak

// ooo-soak: a mixed workload against a RocksDB-backed store for `--duration` seconds, then its
// invariants (see README.md). Exit 0 only if every invariant holds.
//
// Every writer thread owns its keys (`s<t>/...`), so each thread keeps an exact model of what
// its keys hold and of the order of changes per key. The only shared key, `x/lock/counter`, is
// incremented under the store's lock, so its final value is the number of increments. Events
// are checked against an oracle: a lossless subscriber of every key that resumes (stop, then
// subscribe again from its last revision) every few seconds.
//
// This file prepares the data directory, arms the watchdog and prints the verdict; the phases
// are in driver.cpp.

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <iostream>
#include <string>
#include <thread>

#include "tests/soak/driver.hpp"
#include "tests/soak/failures.hpp"
#include "tests/soak/soak_config.hpp"

using namespace ooo::storage::soak;

int main(int argc, char** argv) {
  soak_config cfg;
  cfg.seed = static_cast<uint64_t>(
               std::chrono::steady_clock::now().time_since_epoch().count())
             % 1000000;
  if (auto rc = parse_command_line(argc, argv, cfg))
    return *rc;
  namespace fs = std::filesystem;
  std::string dir = cfg.data_dir;
  bool temporary = dir.empty();
  if (temporary) {
    auto tmpl = (fs::temp_directory_path() / "ooo-soak-XXXXXX").string();
    if (!mkdtemp(tmpl.data())) {
      std::perror("mkdtemp");
      return 2;
    }
    dir = tmpl;
  } else {
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (!fs::is_directory(dir) || !fs::is_empty(dir)) {
      std::cerr << "ooo-soak: --data-dir " << dir << " must be an empty directory\n";
      return 2;
    }
  }
  // A hung store fails the soak instead of hanging it.
  std::thread([limit = cfg.duration + 110] {
    std::this_thread::sleep_for(std::chrono::duration<double>(limit));
    std::cerr << "ooo-soak: watchdog: still running after " << limit << " s, aborting"
              << std::endl;
    std::_Exit(3);
  }).detach();
  int rc = 1;
  try {
    rc = run_soak(cfg, dir);
  } catch (const std::exception& e) {
    fail(std::string{"exception: "} + e.what());
  }
  if (temporary) {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
  if (failure_count() != 0) {
    std::printf("\nFAILED: %zu invariant violations; the first ones:\n", failure_count());
    for (auto& msg : first_failures())
      std::printf("  - %s\n", msg.c_str());
    return 1;
  }
  std::printf("\nall invariants hold\n");
  return rc;
}

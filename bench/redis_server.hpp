#pragma once

// A redis-server of our own for the same-run baselines: a child process on a free loopback
// port, memory only, stopped by its PID; commands through hiredis.

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "bench/child_process.hpp"
#include "messages/object.hpp"

struct redisContext;

namespace ooo::storage::bench {

/// A hiredis connection; closed when this goes.
class redis_connection {
public:
  /// Connects to 127.0.0.1:`port`; throws `std::runtime_error` with hiredis's reason.
  explicit redis_connection(int port);

  ~redis_connection();

  redis_connection(const redis_connection&) = delete;
  redis_connection& operator=(const redis_connection&) = delete;

  redisContext* get() const {
    return ctx_;
  }

  /// Runs one command given as its words and returns the reply as text (status, string,
  /// integer as digits); throws on an error reply or a broken connection.
  std::string command(const std::vector<std::string>& words);

  /// A field of `INFO memory` (e.g. `used_memory`) as a number; throws if it is missing.
  size_t info_memory(const std::string& field);

private:
  redisContext* ctx_ = nullptr;
};

/// A memory-only redis-server (`--save '' --appendonly no`, `DEBUG` allowed from loopback)
/// on a free loopback port, its log in `work_dir`.
class redis_server {
public:
  /// Starts `program` and waits until it answers PING (10 s at most); throws with its log
  /// otherwise.
  redis_server(const std::string& program, const std::string& work_dir);

  int port() const {
    return port_;
  }

  pid_t pid() const {
    return process_->pid();
  }

  /// `redis-server --version`'s version, e.g. `7.0.15`.
  std::string version();

  /// Stops the server (SIGTERM, then SIGKILL) and waits for it.
  void stop() {
    process_->stop();
  }

private:
  int port_ = 0;
  std::unique_ptr<child_process> process_;
};

/// Writes `keys` with `value` through `conn`, as pipelined SETs of 1000 commands per round
/// trip, and checks that every one answered OK.
void redis_fill(redis_connection& conn, const std::vector<std::string>& keys, const bytes& value);

} // namespace ooo::storage::bench

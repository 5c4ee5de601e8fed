#pragma once

// Programs the bench starts next to itself (redis-server, ooo-storaged, ooo-memory-probe): a
// child process with its standard output readable line by line, stopped by its PID.

#include <chrono>
#include <string>
#include <vector>

#include <sys/types.h>

namespace ooo::storage::bench {

/// One child process. It is stopped (SIGTERM, then SIGKILL) when this goes, so that a failed
/// run leaves nothing behind.
class child_process {
public:
  /// Starts `argv[0]` (looked up in PATH unless it has a slash) with `argv`. Standard input is
  /// /dev/null; standard error goes to `log_file`, and so does standard output unless
  /// `capture_stdout` (then `read_line` reads it). Throws `std::runtime_error` naming the
  /// program if it cannot be started.
  child_process(std::vector<std::string> argv, const std::string& log_file, bool capture_stdout);

  ~child_process();

  child_process(const child_process&) = delete;
  child_process& operator=(const child_process&) = delete;

  pid_t pid() const {
    return pid_;
  }

  /// The program's name, for messages.
  const std::string& name() const {
    return argv_.front();
  }

  /// Reads standard output until a line starting with `prefix` and returns the rest of it.
  /// Throws, with the last lines of the log file, if the output ends or `timeout` passes first.
  std::string wait_for_line(const std::string& prefix, std::chrono::seconds timeout);

  /// Waits for the process to end on its own within `timeout` and returns its exit code
  /// (128 + the signal if a signal ended it); kills it and throws if it takes longer.
  int wait_exit(std::chrono::seconds timeout);

  /// Sends SIGTERM, waits up to 10 s, then SIGKILL. Returns the exit code as `wait_exit`.
  /// Does nothing (returns the known code) once the process has ended.
  int stop();

  /// The last `lines` lines of the log file (for error messages).
  std::string log_tail(size_t lines = 20) const;

private:
  /// Reads what is there (waiting until `deadline`); false at the end of the output.
  bool fill_buffer(std::chrono::steady_clock::time_point deadline);

  std::vector<std::string> argv_;
  std::string log_file_;
  pid_t pid_ = -1;
  int stdout_fd_ = -1;
  std::string buffer_;
  bool exited_ = false;
  int exit_code_ = 0;
};

/// A TCP port on 127.0.0.1 that was free a moment ago (the kernel's pick for port 0). For
/// programs that cannot be told to pick one themselves and print it (redis-server).
int free_loopback_port();

/// `name` if it has a slash, else its first match in PATH; empty if there is none.
std::string find_program(const std::string& name);

/// The directory of this program's own executable (for its siblings in the build tree).
std::string own_directory();

} // namespace ooo::storage::bench

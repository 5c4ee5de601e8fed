#include "bench/child_process.hpp"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace ooo::storage::bench {

namespace {

int exit_code_of(int status) {
  if (WIFEXITED(status))
    return WEXITSTATUS(status);
  if (WIFSIGNALED(status))
    return 128 + WTERMSIG(status);
  return -1;
}

} // namespace

// posix_spawn rather than a library: the bench needs one pipe and a PID to stop, and Debian's
// Boost.Process would pull in Boost.Filesystem's compiled library for that.
child_process::child_process(std::vector<std::string> argv, const std::string& log_file,
                             bool capture_stdout)
  : argv_(std::move(argv)), log_file_(log_file) {
  if (argv_.empty())
    throw std::invalid_argument("child_process: no program");
  int fds[2] = {-1, -1};
  if (capture_stdout && ::pipe2(fds, O_CLOEXEC) != 0)
    throw std::runtime_error("cannot create a pipe for " + argv_.front() + ": "
                             + std::strerror(errno));
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 2, log_file_.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (capture_stdout)
    posix_spawn_file_actions_adddup2(&actions, fds[1], 1);
  else
    posix_spawn_file_actions_adddup2(&actions, 2, 1);
  std::vector<char*> args;
  for (auto& a : argv_)
    args.push_back(a.data());
  args.push_back(nullptr);
  auto rc = ::posix_spawnp(&pid_, argv_.front().c_str(), &actions, nullptr, args.data(),
                           environ);
  posix_spawn_file_actions_destroy(&actions);
  if (capture_stdout)
    ::close(fds[1]);
  if (rc != 0) {
    if (capture_stdout)
      ::close(fds[0]);
    throw std::runtime_error("cannot start " + argv_.front() + ": " + std::strerror(rc));
  }
  stdout_fd_ = capture_stdout ? fds[0] : -1;
}

child_process::~child_process() {
  stop();
  if (stdout_fd_ >= 0)
    ::close(stdout_fd_);
}

bool child_process::fill_buffer(std::chrono::steady_clock::time_point deadline) {
  if (stdout_fd_ < 0)
    return false;
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
    deadline - std::chrono::steady_clock::now());
  if (left.count() <= 0)
    return true;
  pollfd p{stdout_fd_, POLLIN, 0};
  auto ready = ::poll(&p, 1, static_cast<int>(left.count()));
  if (ready <= 0)
    return true; // timeout (or EINTR): the caller checks its deadline
  char chunk[4096];
  auto n = ::read(stdout_fd_, chunk, sizeof(chunk));
  if (n <= 0)
    return false;
  buffer_.append(chunk, static_cast<size_t>(n));
  return true;
}

std::string child_process::wait_for_line(const std::string& prefix,
                                         std::chrono::seconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    size_t nl;
    while ((nl = buffer_.find('\n')) != std::string::npos) {
      auto line = buffer_.substr(0, nl);
      buffer_.erase(0, nl + 1);
      if (line.compare(0, prefix.size(), prefix) == 0)
        return line.substr(prefix.size());
    }
    if (std::chrono::steady_clock::now() >= deadline)
      throw std::runtime_error(name() + " printed no line starting with '" + prefix + "' within "
                               + std::to_string(timeout.count()) + " s; its log:\n"
                               + log_tail());
    if (!fill_buffer(deadline))
      throw std::runtime_error(name() + " ended its output before a line starting with '"
                               + prefix + "' (exit code " + std::to_string(wait_exit(timeout))
                               + "); its log:\n" + log_tail());
  }
}

int child_process::wait_exit(std::chrono::seconds timeout) {
  if (exited_)
    return exit_code_;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    int status = 0;
    auto r = ::waitpid(pid_, &status, WNOHANG);
    if (r == pid_) {
      exited_ = true;
      exit_code_ = exit_code_of(status);
      return exit_code_;
    }
    if (r < 0) {
      exited_ = true;
      exit_code_ = -1;
      return exit_code_;
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      stop();
      throw std::runtime_error(name() + " did not finish within "
                               + std::to_string(timeout.count()) + " s");
    }
    // Drain the output meanwhile, so that a chatty child never blocks on a full pipe.
    if (stdout_fd_ >= 0)
      fill_buffer(std::chrono::steady_clock::now() + std::chrono::milliseconds{20});
    else
      std::this_thread::sleep_for(std::chrono::milliseconds{20});
  }
}

int child_process::stop() {
  if (exited_ || pid_ <= 0)
    return exit_code_;
  ::kill(pid_, SIGTERM);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds{10};
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      exited_ = true;
      exit_code_ = exit_code_of(status);
      return exit_code_;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds{10});
  }
  ::kill(pid_, SIGKILL);
  int status = 0;
  ::waitpid(pid_, &status, 0);
  exited_ = true;
  exit_code_ = exit_code_of(status);
  return exit_code_;
}

std::string child_process::log_tail(size_t lines) const {
  std::ifstream in{log_file_};
  std::deque<std::string> tail;
  std::string line;
  while (std::getline(in, line)) {
    tail.push_back(line);
    if (tail.size() > lines)
      tail.pop_front();
  }
  std::ostringstream out;
  for (auto& x : tail)
    out << "  " << x << "\n";
  return out.str();
}

int free_loopback_port() {
  auto fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    throw std::runtime_error(std::string{"socket: "} + std::strerror(errno));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof(addr);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0
      || ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    auto err = std::string{std::strerror(errno)};
    ::close(fd);
    throw std::runtime_error("cannot find a free loopback port: " + err);
  }
  ::close(fd);
  return ntohs(addr.sin_port);
}

std::string find_program(const std::string& name) {
  namespace fs = std::filesystem;
  if (name.empty())
    return {};
  if (name.find('/') != std::string::npos)
    return fs::exists(name) ? name : std::string{};
  const char* path = std::getenv("PATH");
  std::istringstream dirs{path ? path : ""};
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    auto candidate = fs::path{dir.empty() ? "." : dir} / name;
    if (::access(candidate.c_str(), X_OK) == 0)
      return candidate.string();
  }
  return {};
}

std::string own_directory() {
  std::error_code ec;
  auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? std::string{"."} : self.parent_path().string();
}

} // namespace ooo::storage::bench

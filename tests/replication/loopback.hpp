#pragma once

// What the networked replication suites share: free loopback ports, a scratch directory that
// removes itself, waiting for a condition with a deadline, and blocking on a callback.

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <future>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace ooo::storage::replication::test {

/// `n` distinct TCP ports on 127.0.0.1 that were free a moment ago (the kernel picked them).
inline std::vector<uint16_t> free_ports(size_t n) {
  std::vector<int> sockets;
  std::vector<uint16_t> ports;
  while (ports.size() < n) {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
      break;
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    socklen_t len = sizeof(addr);
    if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0
        || ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
      ::close(fd);
      break;
    }
    // Kept open until all are picked, so that the kernel hands out distinct ports.
    sockets.push_back(fd);
    ports.push_back(ntohs(addr.sin_port));
  }
  for (auto fd : sockets)
    ::close(fd);
  return ports;
}

/// Listens on 127.0.0.1:`port` while it lives, so that nothing else can.
class held_port {
public:
  explicit held_port(uint16_t port) : fd_(::socket(AF_INET, SOCK_STREAM, 0)) {
    int yes = 1;
    ::setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(port);
    ok_ = fd_ >= 0 && ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0
          && ::listen(fd_, 1) == 0;
  }

  ~held_port() {
    if (fd_ >= 0)
      ::close(fd_);
  }

  held_port(const held_port&) = delete;
  held_port& operator=(const held_port&) = delete;

  bool ok() const {
    return ok_;
  }

private:
  int fd_;
  bool ok_ = false;
};

inline std::string loopback(uint16_t port) {
  return "127.0.0.1:" + std::to_string(port);
}

/// A fresh directory under the system's temporary directory, removed with everything in it.
class scratch_dir {
public:
  scratch_dir() {
    auto pattern = (std::filesystem::temp_directory_path() / "ooo-replication-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr)
      throw std::runtime_error("mkdtemp failed for " + pattern);
    path_ = pattern;
  }

  ~scratch_dir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }

  scratch_dir(const scratch_dir&) = delete;
  scratch_dir& operator=(const scratch_dir&) = delete;

  std::string sub(const std::string& name) const {
    return (path_ / name).string();
  }

private:
  std::filesystem::path path_;
};

/// Polls `done` every 10 ms until it holds or `timeout` passed; returns the last result.
inline bool wait_until(const std::function<bool()>& done, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!done()) {
    if (std::chrono::steady_clock::now() >= deadline)
      return done();
    std::this_thread::sleep_for(std::chrono::milliseconds{10});
  }
  return true;
}

/// A callback that stores its argument, and a way to wait for it with a deadline.
template <class T>
class awaited {
public:
  awaited() : future_(promise_->get_future()) {
    // nop
  }

  /// The callback; call it once.
  std::function<void(T)> callback() {
    auto promise = promise_;
    return [promise](T x) { promise->set_value(std::move(x)); };
  }

  /// The value, or nothing if the callback did not fire within `timeout`.
  std::optional<T> wait(std::chrono::milliseconds timeout = std::chrono::seconds{10}) {
    if (future_.wait_for(timeout) != std::future_status::ready)
      return std::nullopt;
    return future_.get();
  }

private:
  std::shared_ptr<std::promise<T>> promise_ = std::make_shared<std::promise<T>>();
  std::future<T> future_;
};

} // namespace ooo::storage::replication::test

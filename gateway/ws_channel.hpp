#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <string>

namespace ooo::storage::gateway {

/// What uses a WebSocket connection: a subscription or the clock. Every call arrives on the
/// connection's strand, one at a time.
class ws_peer {
public:
  virtual ~ws_peer();

  /// Before the handshake: call `ready` once the peer is ready for the client (frames sent
  /// until then go out right after the handshake). A subscription reads its first state here,
  /// as ooo's server does before it upgrades, so that whatever the client writes once it
  /// sees the connection open comes after that state.
  virtual void prepare(std::function<void()> ready);

  /// The handshake is done.
  virtual void opened() = 0;

  /// The queue of unsent frames, after being `congested()`, is empty again.
  virtual void drained() = 0;

  /// The connection is over (closed by either side, failed, or timed out).
  virtual void closed() = 0;
};

/// One accepted WebSocket connection, seen without the HTTP library: binary frames out, and a
/// strand to run on. Everything but `post` must be called on the strand.
///
/// Keep-alive: the server pings a peer that has been silent for half the idle timeout and
/// closes the connection after the whole timeout; messages from the peer are read (that is how
/// pongs and the close handshake arrive) and otherwise ignored.
class ws_channel {
public:
  virtual ~ws_channel();

  /// Runs `fn` on the connection's strand (from any thread). Does nothing once the
  /// connection is gone.
  virtual void post(std::function<void()> fn) = 0;

  /// Queues one binary frame.
  virtual void send(std::string frame) = 0;

  /// True while more than a bound of frames or bytes waits to be written: the peer reads
  /// slower than it is fed. `drained` follows once the queue is empty.
  virtual bool congested() const = 0;

  /// Starts the close handshake after the frames already queued: `going away` without a
  /// reason, else `internal error` with the reason (at most 120 bytes are sent).
  virtual void close(std::string reason = {}) = 0;

  /// Runs `fn` on the strand after `delay` unless the connection is gone by then.
  virtual void after(std::chrono::milliseconds delay, std::function<void()> fn) = 0;
};

/// Every open WebSocket channel, so that a stopping gateway can close them cleanly.
class open_channels {
public:
  uint64_t add(std::weak_ptr<ws_channel> channel);
  void remove(uint64_t id);
  /// Starts the close handshake on every channel.
  void close_all();
  size_t size() const;

private:
  mutable std::mutex mutex_;
  uint64_t last_id_ = 0;
  std::unordered_map<uint64_t, std::weak_ptr<ws_channel>> channels_;
};

} // namespace ooo::storage::gateway

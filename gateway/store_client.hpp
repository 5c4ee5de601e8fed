#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "caf/expected.hpp"
#include "caf/actor_control_block.hpp"
#include "caf/fwd.hpp"

#include "messages/object.hpp"

namespace ooo::storage::gateway {

/// Answers arrive on a CAF worker thread: a callback only hands them to where they are used
/// (its connection's strand) and returns.
template <class T>
using reply = std::function<void(caf::expected<T>)>;

/// Receives the events of one subscription (on a CAF worker thread).
class feed_sink {
public:
  virtual ~feed_sink();

  /// The next events, in revision order, never splitting a unit. Nothing more is sent past the
  /// store's window until `store_client::ack(ticket)`: holding it back is how a slow reader
  /// makes the store drop (and count) its events instead of slowing anybody down.
  virtual void batch(uint64_t ticket, std::vector<event> events) = 0;

  /// Events were lost (drop mode, a window behind): what the sink shows is stale.
  virtual void lagged(const ooo::storage::lagged& notice) = 0;
};

/// The gateway's way to the store: the typed `store_actor` interface behind callbacks, so
/// that the HTTP and WebSocket code needs no actor of its own. Every request has a deadline
/// (ooo's 10 s): a locked key or a stuck store answers `sec::request_timeout` then.
///
/// Internally a few bridge actors send the requests, and one actor is the subscriber of every
/// WebSocket subscription (it holds each batch's acknowledgement until `ack`).
class store_client {
public:
  /// Spawns the bridge actors for `store` (a `store_actor` handle, passed as
  /// `caf::actor_cast<caf::strong_actor_ptr>(handle)` so that this header stays light);
  /// `stop` must be called before the actor system goes away.
  store_client(caf::actor_system& sys, caf::strong_actor_ptr store);
  ~store_client();

  store_client(const store_client&) = delete;
  store_client& operator=(const store_client&) = delete;

  void set(std::string key, bytes value, int64_t expected_revision, reply<receipt> done);
  void push(std::string pattern, bytes value, reply<receipt> done);
  void get(std::string key, reply<object> done);
  /// Every object matching `pattern`, newest `created` first.
  void list(std::string pattern, reply<std::vector<object>> done);
  /// Every key, sorted.
  void keys(reply<std::vector<std::string>> done);
  void del(std::string key_or_pattern, reply<deleted> done);
  void stats(reply<store_stats> done);

  /// Subscribes `sink` (held weakly: once it is gone, its subscription ends by itself) in drop
  /// mode; `since` set: replays the retained events after that revision first.
  void subscribe(std::string pattern, caf::optional<uint64_t> since, std::weak_ptr<feed_sink> sink,
                 reply<uint64_t> done);
  /// Acknowledges the batch with this ticket (any thread).
  void ack(uint64_t ticket);
  /// Ends a subscription (any thread); its unacknowledged batches are acknowledged.
  void unsubscribe(uint64_t id);

  /// Stops the actors and waits until they are gone, so that no callback runs afterwards.
  /// Requests still in flight never answer.
  void stop();

private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

} // namespace ooo::storage::gateway

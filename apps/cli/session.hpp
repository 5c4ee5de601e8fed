#pragma once

#include <chrono>
#include <memory>
#include <vector>
#include <string>
#include <type_traits>
#include <utility>

#include "caf/actor_system.hpp"
#include "caf/actor_system_config.hpp"
#include "caf/expected.hpp"
#include "caf/scoped_actor.hpp"

#include "apps/cli/node_address.hpp"
#include "messages/store_actor.hpp"
#include "transport/tls_files.hpp"

namespace ooo::storage::cli {

/// The CLI's own CAF node, connected to one store over plain TCP or mutual TLS (`tls`, already
/// checked), with heartbeats. Every request carries `timeout`: a node that went away is
/// reported after at most that long, never waited for forever.
class session {
public:
  session(caf::timespan timeout, const transport::tls_files& tls);

  ~session();

  session(const session&) = delete;
  session& operator=(const session&) = delete;

  /// Connects to the store published at `addr` (also bounded by the timeout).
  caf::error connect(const node_address& addr);

  /// Connects to the first of `nodes` that answers (the nodes of a replicated group, or one
  /// node); later calls of `call_leader` may move to the others. Returns the last node's error
  /// when none answers.
  caf::error connect_any(std::vector<node_address> nodes);

  /// How many nodes were given (`connect_any`).
  size_t node_count() const {
    return nodes_.size();
  }

  /// Connects to another of the nodes given (after the current one, round robin) that
  /// answers; false if none does.
  bool connect_next();

  /// Sends a request where it can be served, following the group's leader: on `not_leader` it
  /// moves to the node the error names (or to the next node of the list when it names none),
  /// on `unavailable` (and, with several nodes, `not_active`: a new leader restarts its
  /// store) it asks again a little later, for at most the timeout in all. These errors mean
  /// that nothing was done, so asking again is safe; a request that was sent and not answered
  /// is not sent again (it may have taken effect).
  template <class T, class... Ts>
  caf::expected<T> call_leader(const Ts&... xs) {
    auto deadline = std::chrono::steady_clock::now() + timeout_;
    for (;;) {
      auto result = call<T>(xs...);
      if (result || !retry_elsewhere(result.error(), deadline))
        return result;
    }
  }

  /// Sends one request to the store and waits for its answer.
  template <class T, class... Ts>
  caf::expected<T> call(Ts&&... xs) {
    caf::expected<T> result{caf::error{}};
    auto on_error = [&](caf::error& err) { result = std::move(err); };
    // Untyped: a group's node also takes membership requests (messages/group_actor.hpp).
    auto store = caf::actor_cast<caf::actor>(store_);
    if constexpr (std::is_void<T>::value)
      (*self_)->request(store, timeout_, std::forward<Ts>(xs)...)
        .receive([&] { result = caf::expected<void>{}; }, on_error);
    else
      (*self_)->request(store, timeout_, std::forward<Ts>(xs)...)
        .receive([&](T& x) { result = std::move(x); }, on_error);
    return result;
  }

  /// Prints `err` on stderr (`error: NAME: detail` for the store's errors) and returns the exit
  /// code for it: 1 for an answer of the store, 3 when the node did not answer.
  int report(const caf::error& err);

  caf::actor_system& system() {
    return *sys_;
  }

  caf::scoped_actor& self() {
    return *self_;
  }

  const store_actor& store() const {
    return store_;
  }

  caf::timespan timeout() const {
    return timeout_;
  }

  const node_address& address() const {
    return addr_;
  }

private:
  /// Decides whether `call_leader` asks again after `err`, and where (connecting there).
  bool retry_elsewhere(const caf::error& err, std::chrono::steady_clock::time_point deadline);

  std::unique_ptr<caf::actor_system_config> cfg_;
  std::unique_ptr<caf::actor_system> sys_;
  std::unique_ptr<caf::scoped_actor> self_;
  store_actor store_;
  caf::timespan timeout_;
  node_address addr_;
  /// The nodes given on the command line.
  std::vector<node_address> nodes_;
  /// Why TLS could not be set up; `connect` returns it.
  caf::error setup_error_;
  /// Appended to the error of a failed connection: what it most likely means.
  std::string connect_hint_;
};

} // namespace ooo::storage::cli

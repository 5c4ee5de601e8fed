#pragma once

#include <functional>
#include <memory>
#include <vector>

#include "caf/actor_system.hpp"
#include "caf/scoped_actor.hpp"

#include "messages/store_actor.hpp"
#include "tests/model/history.hpp"
#include "tests/model/workload.hpp"

namespace ooo::storage::model {

/// Starts, reads out, resumes from and closes a store, one request at a time, recording every
/// request in the history like any client's (client 0): what a store holds after a run (and
/// after a restart) is checked by the same rules as everything else.
class auditor {
public:
  /// `progress` lets the store answer: on the deterministic scheduler it runs every ready
  /// actor; on real threads it is empty and requests wait up to a timeout.
  auditor(caf::actor_system& sys, std::shared_ptr<history> log, std::function<void()> progress,
          bool deterministic = true);

  ~auditor();

  bool start(const store_actor& store);

  void close(const store_actor& store);

  /// Lists every key, reads every key it knows and lists every pattern of `keys`.
  void read_everything(const store_actor& store, const key_space& keys);

  /// Subscribes lossless to every key shape, resuming from what the history should still
  /// hold, and waits until the subscriptions have caught up.
  void resume_all(const store_actor& store, size_t history_events);

  /// Ends the subscribers it spawned.
  void stop();

private:
  template <class T, class F, class... Ts>
  void ask(const store_actor& store, op x, F fill, Ts&&... xs);

  caf::actor_system& sys_;
  std::shared_ptr<history> log_;
  std::function<void()> progress_;
  bool deterministic_;
  caf::scoped_actor self_;
  uint64_t seq_ = 0;
  std::vector<caf::actor> recorders_;
};

} // namespace ooo::storage::model

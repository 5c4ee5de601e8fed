#pragma once

#include <functional>
#include <memory>
#include <utility>
#include <vector>

#include "caf/actor.hpp"
#include "caf/error.hpp"

namespace ooo::storage {

/// Sends the same request to every actor of `targets` and calls `done` with all replies, in
/// the order of `targets`, once every one has answered; or `failed` with the first error.
/// `Reply` is the type of one answer; use `caf::unit_t` for empty answers.
template <class Reply, class Self, class Done, class Failed, class... Ts>
void fan_out(Self* self, const std::vector<caf::actor>& targets, Done done, Failed failed,
             const Ts&... xs) {
  struct gather {
    std::vector<Reply> replies;
    size_t remaining;
    bool failed = false;
    Done done;
    Failed on_error;
  };
  auto state = std::make_shared<gather>(
    gather{std::vector<Reply>(targets.size()), targets.size(), false, std::move(done),
           std::move(failed)});
  if (targets.empty()) {
    state->done(std::move(state->replies));
    return;
  }
  for (size_t i = 0; i < targets.size(); ++i) {
    auto on_error = [state](caf::error& err) {
      if (!state->failed) {
        state->failed = true;
        state->on_error(err);
      }
    };
    auto on_reply = [state, i](auto&&... reply) {
      if constexpr (sizeof...(reply) == 1)
        state->replies[i] = std::move(reply...);
      if (--state->remaining == 0 && !state->failed)
        state->done(std::move(state->replies));
    };
    if constexpr (std::is_same<Reply, caf::unit_t>::value)
      self->request(targets[i], caf::infinite, xs...)
        .then([on_reply]() mutable { on_reply(); }, on_error);
    else
      self->request(targets[i], caf::infinite, xs...)
        .then([on_reply](Reply& reply) mutable { on_reply(std::move(reply)); }, on_error);
  }
}

} // namespace ooo::storage

#include "actors/event_log.hpp"

#include <algorithm>
#include <deque>
#include <map>
#include <unordered_map>

#include "caf/actor_system.hpp"
#include "caf/event_based_actor.hpp"

#include "messages/atoms.hpp"
#include "messages/errc.hpp"
#include "messages/key.hpp"
#include "messages/object.hpp"

namespace ooo::storage {

namespace {

struct subscription {
  std::string pattern;
  caf::actor subscriber;
  /// Delivers to `subscriber` (see `courier`).
  caf::actor courier;
  watch_mode mode = watch_mode::drop;
  /// Every revision up to here was delivered, dropped or did not match.
  uint64_t cursor = 0;
  /// Events sent and not yet acknowledged.
  size_t unacked = 0;
  /// Fed from the history instead of live (resuming, or lossless and behind).
  bool catching_up = false;
  /// Drop mode: events dropped since the last `lagged` notice, and where they began.
  uint64_t dropped = 0;
  uint64_t resume_from = 0;
};

/// A courier tells the event log that its subscriber acknowledged one event (or is gone).
using ack_atom = caf::atom_constant<caf::atom("ack")>;
using gone_atom = caf::atom_constant<caf::atom("gone")>;

/// Carries one subscription's events to its subscriber as requests and reports each answer to
/// the event log. The event log itself never waits for a subscriber's answer: CAF 0.17 keeps an
/// actor's pending answers in a list searched on every answer, which would make every
/// acknowledgement cost as much as all subscribers' windows together.
caf::behavior courier(caf::event_based_actor* self, caf::actor log, uint64_t id,
                      caf::actor subscriber) {
  return {
    [=](event& ev) {
      self->request(subscriber, caf::infinite, std::move(ev))
        .then([=] { self->send(log, ack_atom::value, id); },
              [=](caf::error&) {
                self->send(log, gone_atom::value, id);
                self->quit();
              });
    },
    [=](lagged& notice) { self->send(subscriber, std::move(notice)); },
    // In order after everything the event log sent before it.
    [=](caf::close_atom) { self->quit(); },
  };
}

size_t cost(const event& ev) {
  return ev.key.size() + (ev.value ? ev.value->data.size() + ev.value->path.size() : 0);
}

class event_log : public caf::event_based_actor {
public:
  event_log(caf::actor_config& cfg, std::shared_ptr<const options> opts)
    : caf::event_based_actor(cfg), opts_(std::move(opts)) {
    // nop
  }

  const char* name() const override {
    return "ooo.event_log";
  }

  caf::behavior make_behavior() override {
    set_down_handler([this](caf::down_msg& msg) {
      for (auto i = subs_.begin(); i != subs_.end();) {
        if (i->second.subscriber.address() == msg.source)
          i = drop(i);
        else
          ++i;
      }
    });
    return {
      [this](publish_atom, std::vector<event>& visible, std::vector<uint64_t>& hidden) {
        for (auto& ev : visible)
          arrive(ev.revision, std::move(ev));
        for (auto revision : hidden)
          arrive(revision, caf::none);
      },
      [this](load_atom, std::vector<event>& history, uint64_t compacted) {
        compacted_ = compacted;
        for (auto& ev : history)
          if (ev.revision > compacted_)
            remember(std::move(ev));
      },
      [this](start_atom, uint64_t revision) { head_ = revision; },
      [this](caf::subscribe_atom, std::string& pattern, caf::actor& subscriber,
             subscribe_options& opts) -> caf::result<uint64_t> {
        if (opts.resume && opts.since < compacted_)
          return make_error(errc::compacted,
                            pattern + ": revision " + std::to_string(opts.since)
                              + " is no longer retained; the oldest revision to resume from is "
                              + std::to_string(compacted_));
        if (subs_.size() >= opts_->max_subscribers)
          return make_error(errc::limit_exceeded,
                            pattern + ": the store serves at most "
                              + std::to_string(opts_->max_subscribers) + " subscriptions");
        auto id = ++last_id_;
        monitor(subscriber);
        subscription sub;
        sub.pattern = std::move(pattern);
        sub.courier = spawn(courier, caf::actor_cast<caf::actor>(this), id, subscriber);
        sub.subscriber = std::move(subscriber);
        sub.mode = opts.mode;
        sub.cursor = opts.resume ? std::min(opts.since, head_) : head_;
        sub.catching_up = opts.resume;
        subs_.emplace(id, std::move(sub));
        if (opts.resume)
          feed(id);
        return id;
      },
      [this](caf::unsubscribe_atom, uint64_t id) {
        if (auto i = subs_.find(id); i != subs_.end())
          drop(i);
      },
      [this](ack_atom, uint64_t id) { acknowledged(id); },
      [this](gone_atom, uint64_t id) {
        // The subscriber is gone or refused an event: it cannot be served any more.
        if (auto i = subs_.find(id); i != subs_.end())
          drop(i);
      },
      [this](stats_atom) {
        store_stats result;
        result.subscribers = subs_.size();
        result.dropped_events = dropped_total_;
        for (auto& [id, sub] : subs_)
          result.max_lag = std::max(result.max_lag, head_ - std::min(head_, sub.cursor));
        result.history = history_.size();
        return result;
      },
    };
  }

private:
  void on_exit() override {
    for (auto& [id, sub] : subs_)
      caf::anon_send_exit(sub.courier, caf::exit_reason::user_shutdown);
  }

  /// Ends a subscription; its courier passes on what it already carries (a `lagged{ended}`
  /// notice, say), then goes.
  std::unordered_map<uint64_t, subscription>::iterator
  drop(std::unordered_map<uint64_t, subscription>::iterator i) {
    send(i->second.courier, caf::close_atom::value);
    return subs_.erase(i);
  }

  // -- ordering --------------------------------------------------------------------------------

  /// Takes one committed change (an event, or none for a change nobody may see) and releases
  /// everything that is now contiguous.
  void arrive(uint64_t revision, caf::optional<event> ev) {
    if (revision == head_ + 1 && early_.empty()) {
      release(revision, std::move(ev));
      return;
    }
    early_.emplace(revision, std::move(ev));
    for (auto i = early_.begin(); i != early_.end() && i->first == head_ + 1;
         i = early_.erase(i))
      release(i->first, std::move(i->second));
  }

  void release(uint64_t revision, caf::optional<event> ev) {
    head_ = revision;
    if (!ev)
      return;
    for (auto& [id, sub] : subs_)
      offer(id, sub, *ev);
    remember(std::move(*ev));
  }

  void remember(event&& ev) {
    if (opts_->history_events == 0) {
      compacted_ = ev.revision;
      return;
    }
    history_bytes_ += cost(ev);
    history_.emplace_back(std::move(ev));
    while (history_.size() > opts_->history_events || history_bytes_ > opts_->history_bytes) {
      compacted_ = history_.front().revision;
      history_bytes_ -= cost(history_.front());
      history_.pop_front();
      if (history_.empty())
        break;
    }
  }

  // -- delivery --------------------------------------------------------------------------------

  void offer(uint64_t id, subscription& sub, const event& ev) {
    if (sub.catching_up || ev.revision <= sub.cursor)
      return;
    if (!matches(sub.pattern, ev.key)) {
      sub.cursor = ev.revision;
      return;
    }
    if (sub.unacked < opts_->watch_window) {
      notify_lag(id, sub);
      deliver(id, sub, ev);
      return;
    }
    if (sub.mode == watch_mode::lossless) {
      sub.catching_up = true;
      return;
    }
    if (sub.dropped == 0)
      sub.resume_from = sub.cursor;
    ++sub.dropped;
    ++dropped_total_;
    sub.cursor = ev.revision;
    if (opts_->on_drop)
      opts_->on_drop(id, ev);
  }

  void deliver(uint64_t id, subscription& sub, const event& ev) {
    ++sub.unacked;
    sub.cursor = ev.revision;
    send(sub.courier, ev);
  }

  void acknowledged(uint64_t id) {
    auto i = subs_.find(id);
    if (i == subs_.end())
      return;
    auto& sub = i->second;
    --sub.unacked;
    if (sub.catching_up)
      feed(id);
    else
      notify_lag(id, sub);
  }

  /// Tells a drop-mode subscriber what it lost, before anything newer reaches it.
  void notify_lag(uint64_t id, subscription& sub) {
    if (sub.dropped == 0)
      return;
    send(sub.courier, lagged{id, sub.dropped, sub.resume_from, false});
    sub.dropped = 0;
  }

  /// Sends a catching-up subscription what it missed from the history, as far as its window
  /// allows; switches it to live once it reaches the head.
  void feed(uint64_t id) {
    auto i = subs_.find(id);
    if (i == subs_.end())
      return;
    auto& sub = i->second;
    if (sub.cursor < compacted_) {
      // What it has not seen is gone: tell it where to resume from, and end it.
      send(sub.courier, lagged{id, 0, sub.cursor, true});
      drop(i);
      return;
    }
    auto pos = std::lower_bound(history_.begin(), history_.end(), sub.cursor + 1,
                                [](const event& ev, uint64_t rev) { return ev.revision < rev; });
    while (sub.unacked < opts_->watch_window) {
      while (pos != history_.end() && !matches(sub.pattern, pos->key))
        ++pos;
      if (pos == history_.end()) {
        sub.cursor = head_;
        sub.catching_up = false;
        return;
      }
      deliver(id, sub, *pos++);
    }
  }

  std::shared_ptr<const options> opts_;
  std::unordered_map<uint64_t, subscription> subs_;
  uint64_t last_id_ = 0;
  /// The newest revision released in order.
  uint64_t head_ = 0;
  /// Changes that arrived before an older one; released once the gap closes.
  std::map<uint64_t, caf::optional<event>> early_;
  /// Retained events, oldest first; they cover every visible change after `compacted_`.
  std::deque<event> history_;
  size_t history_bytes_ = 0;
  uint64_t compacted_ = 0;
  uint64_t dropped_total_ = 0;
};

} // namespace

caf::actor spawn_event_log(caf::actor_system& sys, std::shared_ptr<const options> opts) {
  return sys.spawn<event_log>(std::move(opts));
}

} // namespace ooo::storage

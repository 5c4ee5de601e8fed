#include "actors/event_log.hpp"

#include <algorithm>
#include <map>
#include <unordered_map>

#include "caf/actor_system.hpp"
#include "caf/event_based_actor.hpp"

#include "actors/event_history.hpp"
#include "actors/hook_call.hpp"
#include "actors/protocol.hpp"
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
  /// Every revision up to here was delivered (or queued in `outgoing`), dropped or did not
  /// match.
  uint64_t cursor = 0;
  /// Events sent and not yet acknowledged.
  size_t unacked = 0;
  /// Events of this mailbox round, sent as one batch once no unit is half released.
  std::vector<event> outgoing;
  /// Fed from the history instead of live (resuming, or lossless and behind).
  bool catching_up = false;
  /// The unit whose fate is decided (delivered whole or dropped whole), and that fate.
  uint64_t decided_unit = 0;
  bool deliver_unit = false;
  /// Drop mode: events dropped since the last `lagged` notice, and where they began.
  uint64_t dropped = 0;
  uint64_t resume_from = 0;

  size_t in_window() const {
    return unacked + outgoing.size();
  }
};

/// A courier tells the event log that its subscriber acknowledged a batch (or is gone).
using ack_atom = caf::atom_constant<caf::atom("ack")>;
using gone_atom = caf::atom_constant<caf::atom("gone")>;

/// Carries one subscription's batches to its subscriber as requests and reports each answer to
/// the event log. The event log itself never waits for a subscriber's answer: CAF 0.17 keeps an
/// actor's pending answers in a list searched on every answer, which would make every
/// acknowledgement cost as much as all subscribers' windows together.
caf::behavior courier(caf::event_based_actor* self, caf::actor log, uint64_t id,
                      caf::actor subscriber) {
  return {
    [=](event_batch& batch) {
      auto n = static_cast<uint64_t>(batch.events.size());
      self->request(subscriber, caf::infinite, std::move(batch))
        .then([=] { self->send(log, ack_atom::value, id, n); },
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

class event_log : public caf::event_based_actor {
public:
  event_log(caf::actor_config& cfg, std::shared_ptr<const options> opts)
    : caf::event_based_actor(cfg),
      opts_(std::move(opts)),
      history_(opts_->history_events, opts_->history_bytes) {
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
        flush();
      },
      [this](load_atom, std::vector<event>& history, uint64_t compacted) {
        history_.compact_to(compacted);
        for (auto& ev : history)
          if (ev.revision > history_.compacted())
            history_.append(std::move(ev));
      },
      [this](start_atom, uint64_t revision) { head_ = revision; },
      [this](caf::subscribe_atom, std::string& pattern, caf::actor& subscriber,
             subscribe_options& opts) -> caf::result<uint64_t> {
        if (opts.resume && opts.since < history_.compacted())
          return make_error(errc::compacted,
                            pattern + ": revision " + std::to_string(opts.since)
                              + " is no longer retained; the oldest revision to resume from is "
                              + std::to_string(history_.compacted()));
        if (subs_.size() >= opts_->max_subscribers)
          return make_error(errc::limit_exceeded,
                            pattern + ": the store serves at most "
                              + std::to_string(opts_->max_subscribers) + " subscriptions");
        auto id = ++last_id_;
        // One monitor per subscriber, however many subscriptions it has: each monitor is an
        // entry at the subscriber, which would otherwise grow with every subscribe.
        if (watched_[subscriber.address()]++ == 0)
          monitor(subscriber);
        subscription sub;
        sub.pattern = std::move(pattern);
        sub.courier = spawn(courier, caf::actor_cast<caf::actor>(this), id, subscriber);
        sub.subscriber = std::move(subscriber);
        sub.mode = opts.mode;
        // A live subscription starts after the newest complete unit.
        // A resume point beyond the head is kept, not lowered to it: in a replicated group a
        // subscriber may come from a node that is ahead of this one, and has seen up to there.
        sub.cursor = opts.resume ? opts.since : std::max(head_, open_unit_);
        sub.catching_up = opts.resume;
        subs_.emplace(id, std::move(sub));
        if (opts.resume) {
          feed(id);
          flush();
        }
        return id;
      },
      [this](caf::unsubscribe_atom, uint64_t id) {
        if (auto i = subs_.find(id); i != subs_.end())
          drop(i);
      },
      [this](ack_atom, uint64_t id, uint64_t n) {
        acknowledged(id, n);
        flush();
      },
      [this](gone_atom, uint64_t id) {
        // The subscriber is gone or refused a batch: it cannot be served any more.
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
  using sub_iterator = std::unordered_map<uint64_t, subscription>::iterator;

  void on_exit() override {
    for (auto& [id, sub] : subs_)
      caf::anon_send_exit(sub.courier, caf::exit_reason::user_shutdown);
  }

  /// Ends a subscription; its courier passes on what it already carries (a `lagged{ended}`
  /// notice, say), then goes.
  sub_iterator drop(sub_iterator i) {
    send(i->second.courier, caf::close_atom::value);
    auto w = watched_.find(i->second.subscriber.address());
    if (w != watched_.end() && --w->second == 0) {
      demonitor(i->second.subscriber);
      watched_.erase(w);
    }
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
    if (ev->unit < ev->revision)
      ev->unit = ev->revision;
    open_unit_ = std::max(open_unit_, ev->unit);
    for (auto& [id, sub] : subs_)
      offer(id, sub, *ev);
    history_.append(std::move(*ev));
  }

  /// True while the events of a unit are only partly released: nothing is sent then, so that
  /// a batch never splits a unit.
  bool unit_open() const {
    return head_ < open_unit_;
  }

  // -- delivery --------------------------------------------------------------------------------

  void offer(uint64_t id, subscription& sub, const event& ev) {
    if (sub.catching_up || ev.revision <= sub.cursor)
      return;
    if (!matches(sub.pattern, ev.key)) {
      sub.cursor = ev.revision;
      return;
    }
    if (sub.decided_unit != ev.unit) {
      // A unit goes whole or not at all: its first matching event decides.
      sub.decided_unit = ev.unit;
      sub.deliver_unit = sub.in_window() < opts_->watch_window;
      if (sub.deliver_unit)
        notify_lag(id, sub);
      else if (sub.mode == watch_mode::lossless)
        sub.catching_up = true;
    }
    if (sub.catching_up)
      return;
    if (sub.deliver_unit) {
      queue(id, sub, ev);
      return;
    }
    if (sub.dropped == 0)
      sub.resume_from = sub.cursor;
    ++sub.dropped;
    ++dropped_total_;
    sub.cursor = ev.revision;
    if (opts_->on_drop)
      call_hook("on_drop", ev.key, [&] { opts_->on_drop(id, ev); });
  }

  void queue(uint64_t id, subscription& sub, const event& ev) {
    if (sub.outgoing.empty())
      dirty_.push_back(id);
    sub.outgoing.push_back(ev);
    sub.cursor = ev.revision;
  }

  /// Sends every subscription's queued events as one batch, and the notices that waited for
  /// a unit to end, unless a unit is half released.
  void flush() {
    if (unit_open())
      return;
    for (auto id : dirty_) {
      auto i = subs_.find(id);
      if (i == subs_.end() || i->second.outgoing.empty())
        continue;
      send_batch(id, i->second);
    }
    dirty_.clear();
    // Only where the window still has room: otherwise the next acknowledgement tells.
    for (auto id : lagging_)
      if (auto i = subs_.find(id);
          i != subs_.end() && i->second.in_window() < opts_->watch_window)
        notify_lag(id, i->second);
    lagging_.clear();
  }

  void send_batch(uint64_t id, subscription& sub) {
    sub.unacked += sub.outgoing.size();
    send(sub.courier, event_batch{id, std::move(sub.outgoing)});
    sub.outgoing = std::vector<event>{};
  }

  void acknowledged(uint64_t id, uint64_t n) {
    auto i = subs_.find(id);
    if (i == subs_.end())
      return;
    auto& sub = i->second;
    sub.unacked -= std::min<size_t>(sub.unacked, n);
    if (sub.catching_up) {
      feed(id);
    } else if (sub.dropped > 0 && sub.outgoing.empty()
               && sub.in_window() < opts_->watch_window) {
      // Inside a half-released unit the rest of it is dropped too: tell the subscriber once
      // the unit is over, so that its resume point never splits it.
      if (unit_open())
        lagging_.push_back(id);
      else
        notify_lag(id, sub);
    }
  }

  /// Tells a drop-mode subscriber what it lost, before anything newer reaches it.
  void notify_lag(uint64_t id, subscription& sub) {
    if (sub.dropped == 0)
      return;
    if (!sub.outgoing.empty())
      send_batch(id, sub);
    send(sub.courier, lagged{id, sub.dropped, sub.resume_from, false});
    sub.dropped = 0;
  }

  /// Queues for a catching-up subscription what it missed from the history, as far as its
  /// window allows (finishing a unit it started); switches it to live once it reaches the head.
  void feed(uint64_t id) {
    auto i = subs_.find(id);
    if (i == subs_.end())
      return;
    auto& sub = i->second;
    if (sub.cursor < history_.compacted()) {
      // What it has not seen is gone: tell it where to resume from, and end it.
      send(sub.courier, lagged{id, 0, sub.cursor, true});
      drop(i);
      return;
    }
    uint64_t unit = 0;
    for (auto pos = history_.after(sub.cursor); pos != history_.end(); ++pos) {
      if (!matches(sub.pattern, pos->key))
        continue;
      if (pos->unit != unit && sub.in_window() >= opts_->watch_window)
        return;
      unit = pos->unit;
      queue(id, sub, *pos);
    }
    // Caught up: live from here (a half-released unit continues live into the same batch).
    sub.cursor = std::max(sub.cursor, head_);
    sub.catching_up = false;
    sub.decided_unit = unit;
    sub.deliver_unit = true;
  }

  std::shared_ptr<const options> opts_;
  std::unordered_map<uint64_t, subscription> subs_;
  /// How many subscriptions each monitored subscriber has.
  std::unordered_map<caf::actor_addr, size_t> watched_;
  /// Subscriptions with queued events, in the order they got their first one.
  std::vector<uint64_t> dirty_;
  /// Drop-mode subscriptions whose `lagged` notice waits for the open unit to end.
  std::vector<uint64_t> lagging_;
  uint64_t last_id_ = 0;
  /// The newest revision released in order.
  uint64_t head_ = 0;
  /// The newest unit seen; while `head_` is below it, its remaining events are still to come.
  uint64_t open_unit_ = 0;
  /// Changes that arrived before an older one; released once the gap closes.
  std::map<uint64_t, caf::optional<event>> early_;
  event_history history_;
  uint64_t dropped_total_ = 0;
};

} // namespace

caf::actor spawn_event_log(caf::actor_system& sys, std::shared_ptr<const options> opts) {
  return sys.spawn<event_log>(std::move(opts));
}

} // namespace ooo::storage

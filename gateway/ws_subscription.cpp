#include "gateway/ws_subscription.hpp"

#include <algorithm>

#include "gateway/frame.hpp"
#include "messages/errc.hpp"
#include "messages/key.hpp"

namespace ooo::storage::gateway {

ws_subscription::ws_subscription(std::weak_ptr<ws_channel> channel, store_client& store,
                                 gateway_metrics& metrics, std::string key,
                                 std::optional<uint64_t> version)
  : channel_(std::move(channel)),
    store_(store),
    metrics_(metrics),
    key_(std::move(key)),
    resume_(version),
    view_(key_) {
  metrics_.session_opened();
}

ws_subscription::~ws_subscription() {
  metrics_.session_closed();
}

template <class F>
void ws_subscription::on_strand(F fn) {
  if (auto channel = channel_.lock())
    channel->post(std::move(fn));
}

// -- the first state, and a fresh one after lost events ---------------------------------------

void ws_subscription::prepare(std::function<void()> ready) {
  ready_ = std::move(ready);
  begin_sync();
}

void ws_subscription::opened() {
  // nop: the first state is queued already
}

void ws_subscription::begin_sync() {
  phase_ = phase::syncing;
  buffered_.clear();
  std::weak_ptr<ws_subscription> weak = shared_from_this();
  store_.stats([this, weak](caf::expected<store_stats> stats) {
    auto self = weak.lock();
    if (!self)
      return;
    on_strand([this, self, stats = std::move(stats)]() mutable {
      if (!stats)
        return fail("ooo: " + render(stats.error()));
      auto committed = stats->revision;
      // A version from the future is from another life of a memory-mode node.
      if (resume_ && *resume_ > committed)
        resume_.reset();
      if (subscription_)
        return read(committed);
      subscribe(committed, resume_ ? *resume_ : committed);
    });
  });
}

void ws_subscription::subscribe(uint64_t committed, uint64_t since) {
  std::weak_ptr<ws_subscription> weak = shared_from_this();
  store_.subscribe(key_, since, weak, [this, weak, committed](caf::expected<uint64_t> id) {
    auto self = weak.lock();
    if (id && (!self || over_.load())) {
      // The connection went away meanwhile.
      store_.unsubscribe(*id);
      return;
    }
    if (!self)
      return;
    on_strand([this, self, committed, id = std::move(id)] {
      if (!id) {
        if (is(id.error(), errc::compacted) && resume_) {
          // The client's version is older than the retained history: start afresh.
          resume_.reset();
          return subscribe(committed, committed);
        }
        return fail("ooo: " + render(id.error()));
      }
      subscription_ = *id;
      read(committed);
    });
  });
}

void ws_subscription::read(uint64_t committed) {
  std::weak_ptr<ws_subscription> weak = shared_from_this();
  auto arrive = [this, weak, committed](caf::expected<std::vector<object>> state) {
    auto self = weak.lock();
    if (!self)
      return;
    on_strand([this, self, committed, state = std::move(state)]() mutable {
      if (!state)
        return fail("ooo: " + render(state.error()));
      finish_sync(committed, std::move(*state));
    });
  };
  if (view_.is_list()) {
    store_.list(key_, std::move(arrive));
    return;
  }
  store_.get(key_, [arrive](caf::expected<object> x) {
    if (x)
      return arrive(std::vector<object>{std::move(*x)});
    if (is(x.error(), errc::not_found))
      return arrive(std::vector<object>{});
    arrive(x.error());
  });
}

void ws_subscription::finish_sync(uint64_t committed, std::vector<object> state) {
  if (phase_ == phase::over)
    return;
  view_.load(std::move(state));
  uint64_t newest = committed;
  for (auto& ev : buffered_)
    newest = std::max(newest, ev.revision);
  // What arrived while reading: applied where the read did not see it yet.
  for (size_t i = 0; i < buffered_.size();) {
    auto j = i + 1;
    while (j < buffered_.size() && buffered_[j].unit == buffered_[i].unit)
      ++j;
    view_.apply(std::vector<event>(buffered_.begin() + static_cast<std::ptrdiff_t>(i),
                                   buffered_.begin() + static_cast<std::ptrdiff_t>(j)));
    i = j;
  }
  auto changed = !buffered_.empty();
  buffered_.clear();
  phase_ = phase::live;
  if (resume_) {
    auto since = *resume_;
    resume_.reset();
    if (!changed && !view_.newer_than(since)) {
      // Nothing the client lacks, as far as can be seen: it keeps what it has.
      stamp_ = since;
      uncertain_ = true;
      release_held();
      return handshake();
    }
  }
  stamp_ = newest;
  uncertain_ = false;
  send_snapshot();
  release_held();
  handshake();
}

// -- events -----------------------------------------------------------------------------------

void ws_subscription::batch(uint64_t ticket, std::vector<event> events) {
  auto self = shared_from_this();
  if (auto channel = channel_.lock()) {
    channel->post([this, self, ticket, events = std::move(events)]() mutable {
      on_batch(ticket, std::move(events));
    });
    return;
  }
  store_.ack(ticket);
}

void ws_subscription::lagged(const ooo::storage::lagged& notice) {
  if (notice.ended)
    return; // drop mode never ends a subscription
  auto self = shared_from_this();
  on_strand([this, self] { on_lagged(); });
}

void ws_subscription::on_batch(uint64_t ticket, std::vector<event> events) {
  if (phase_ == phase::over) {
    store_.ack(ticket);
    return;
  }
  if (phase_ == phase::syncing) {
    buffered_.insert(buffered_.end(), std::make_move_iterator(events.begin()),
                     std::make_move_iterator(events.end()));
    store_.ack(ticket);
    return;
  }
  auto channel = channel_.lock();
  if (!held_.empty() || (channel && channel->congested())) {
    // The reader is behind: hold the acknowledgement, so the store stops feeding it.
    held_.emplace_back(ticket, std::move(events));
    return;
  }
  process(events);
  store_.ack(ticket);
}

void ws_subscription::on_lagged() {
  if (phase_ != phase::live)
    return;
  // Events were lost: whatever is held back is stale too. Read afresh.
  metrics_.resynced();
  for (auto& [ticket, events] : held_)
    store_.ack(ticket);
  held_.clear();
  begin_sync();
}

void ws_subscription::drained() {
  release_held();
}

void ws_subscription::release_held() {
  auto channel = channel_.lock();
  while (phase_ == phase::live && !held_.empty() && channel && !channel->congested()) {
    auto [ticket, events] = std::move(held_.front());
    held_.pop_front();
    process(events);
    store_.ack(ticket);
  }
}

void ws_subscription::process(const std::vector<event>& events) {
  for (size_t i = 0; i < events.size();) {
    auto j = i + 1;
    while (j < events.size() && events[j].unit == events[i].unit)
      ++j;
    std::vector<event> unit(events.begin() + static_cast<std::ptrdiff_t>(i),
                            events.begin() + static_cast<std::ptrdiff_t>(j));
    i = j;
    bool was_empty = view_.empty();
    auto ops = view_.apply(unit);
    stamp_ = std::max(stamp_, unit.back().revision);
    if (uncertain_) {
      uncertain_ = false;
      send_snapshot();
      continue;
    }
    if (ops.empty())
      continue;
    if (view_.is_list() ? unit.size() > 1 : was_empty)
      send_snapshot();
    else
      send_patch(ops);
  }
}

// -- frames -----------------------------------------------------------------------------------

void ws_subscription::send_snapshot() {
  auto text = frame(true, stamp_, dump(view_.snapshot()));
  metrics_.frame_sent(true, text.size());
  if (auto channel = channel_.lock())
    channel->send(std::move(text));
}

void ws_subscription::send_patch(const json& ops) {
  auto text = frame(false, stamp_, dump(ops));
  metrics_.frame_sent(false, text.size());
  if (auto channel = channel_.lock())
    channel->send(std::move(text));
}

void ws_subscription::fail(std::string reason) {
  if (auto channel = channel_.lock())
    channel->close(std::move(reason));
  handshake(); // the close reaches the client once it is connected
}

void ws_subscription::handshake() {
  if (ready_) {
    auto ready = std::move(ready_);
    ready_ = nullptr;
    ready();
  }
}

void ws_subscription::closed() {
  phase_ = phase::over;
  over_ = true;
  if (subscription_)
    store_.unsubscribe(*subscription_);
  for (auto& [ticket, events] : held_)
    store_.ack(ticket);
  held_.clear();
}

} // namespace ooo::storage::gateway

#include "tests/model/audit.hpp"

#include <chrono>
#include <set>
#include <thread>

#include "caf/actor_clock.hpp"
#include "caf/event_based_actor.hpp"
#include "caf/sec.hpp"
#include "caf/send.hpp"

#include "messages/errc.hpp"

namespace ooo::storage::model {

namespace {

constexpr auto request_timeout = std::chrono::seconds{10};

/// Records every batch it receives into subscription record `index` (known once subscribed).
caf::behavior recorder(caf::event_based_actor*, std::shared_ptr<history> log,
                       std::shared_ptr<size_t> index) {
  return {
    [=](event_batch& batch) {
      log->update_subscription(*index, [&](subscription_record& r) {
        r.batches.push_back(subscription_record::batch{log->clock.tick(), batch.events});
      });
    },
    [=](lagged& notice) {
      log->update_subscription(*index, [&](subscription_record& r) {
        r.notices.push_back(
          subscription_record::notice{log->clock.tick(), r.batches.size(), notice});
      });
    },
  };
}

} // namespace

auditor::auditor(caf::actor_system& sys, std::shared_ptr<history> log,
                 std::function<void()> progress, bool deterministic)
  : sys_(sys),
    log_(std::move(log)),
    progress_(std::move(progress)),
    deterministic_(deterministic),
    self_(sys) {
  // nop
}

auditor::~auditor() {
  stop();
}

template <class T, class F, class... Ts>
void auditor::ask(const store_actor& store, op x, F fill, Ts&&... xs) {
  x.client = 0;
  x.seq = seq_++;
  auto id = log_->invoke(std::move(x));
  auto timeout = deterministic_ ? caf::duration{caf::infinite} : caf::duration{request_timeout};
  auto hdl = self_->request(store, timeout, std::forward<Ts>(xs)...);
  progress_();
  if (deterministic_ && !self_->has_next_message())
    return; // no answer: the checker reports it
  auto on_error = [&](caf::error& err) { log_->complete(id, [&](op& o) { o.error = err; }); };
  if constexpr (std::is_void<T>::value)
    hdl.receive([&] { log_->complete(id, [](op&) {}); }, on_error);
  else
    hdl.receive([&](T& answer) { log_->complete(id, [&](op& o) { fill(o, answer); }); },
                on_error);
  if (!deterministic_)
    sys_.clock().cancel_request_timeout(self_.ptr(), hdl.id());
}

bool auditor::start(const store_actor& store) {
  auto hdl = self_->request(store, caf::infinite, start_atom::value);
  progress_();
  if (deterministic_ && !self_->has_next_message())
    return false;
  bool ok = false;
  hdl.receive([&] { ok = true; }, [&](caf::error&) { ok = false; });
  return ok;
}

void auditor::close(const store_actor& store) {
  auto hdl = self_->request(store, caf::infinite, caf::close_atom::value);
  progress_();
  if (deterministic_ && !self_->has_next_message())
    return;
  hdl.receive([] {}, [](caf::error&) {});
}

void auditor::read_everything(const store_actor& store, const key_space& space) {
  std::set<std::string> known(space.keys.begin(), space.keys.end());
  known.insert(space.lock_keys.begin(), space.lock_keys.end());
  op all;
  all.kind = op_kind::keys;
  ask<std::vector<std::string>>(
    store, all,
    [&](op& o, std::vector<std::string>& ks) {
      known.insert(ks.begin(), ks.end());
      o.keys_listed = ks;
    },
    keys_atom::value, std::string{}, list_options{});
  for (auto& k : known) {
    op get;
    get.kind = op_kind::get;
    get.key = k;
    ask<object>(store, get, [](op& o, object& obj) { o.read = obj; }, caf::get_atom::value, k);
  }
  auto patterns = space.patterns;
  patterns.push_back("q/*");
  patterns.push_back("ctr/*");
  for (auto& p : patterns) {
    op list;
    list.kind = op_kind::list;
    list.key = p;
    ask<std::vector<object>>(
      store, list, [](op& o, std::vector<object>& xs) { o.listed = std::move(xs); },
      list_atom::value, p, list_options{});
  }
}

void auditor::resume_all(const store_actor& store, size_t history_events) {
  uint64_t revision = 0;
  {
    auto hdl = self_->request(store, caf::infinite, stats_atom::value);
    progress_();
    if (deterministic_ && !self_->has_next_message())
      return;
    hdl.receive([&](store_stats& st) { revision = st.revision; }, [](caf::error&) {});
  }
  auto since = revision > history_events ? revision - history_events : 0;
  std::vector<size_t> indices;
  for (std::string pattern : {"*", "*/*", "*/*/*"}) {
    subscription_record rec;
    rec.pattern = pattern;
    rec.opts.resume = true;
    rec.opts.since = since;
    rec.opts.mode = watch_mode::lossless;
    auto index = std::make_shared<size_t>(log_->subscribe(rec));
    indices.push_back(*index);
    auto sub = sys_.spawn(recorder, log_, index);
    recorders_.push_back(sub);
    auto hdl = self_->request(store, caf::infinite, caf::subscribe_atom::value, pattern, sub,
                              rec.opts);
    progress_();
    if (deterministic_ && !self_->has_next_message())
      continue;
    hdl.receive(
      [&](uint64_t id) {
        log_->update_subscription(*index, [&](subscription_record& r) {
          r.complete = log_->clock.tick();
          r.id = id;
        });
      },
      [&](caf::error& err) {
        log_->update_subscription(*index, [&](subscription_record& r) {
          r.complete = log_->clock.tick();
          r.error = err;
        });
      });
  }
  progress_();
  if (deterministic_)
    return;
  // On real threads: give the subscriptions time to catch up with `revision`.
  auto deadline = std::chrono::steady_clock::now() + request_timeout;
  auto caught_up = [&] {
    auto subs = log_->subscriptions();
    for (auto i : indices) {
      auto& r = subs[i];
      if (r.error)
        continue;
      uint64_t newest = since;
      for (auto& b : r.batches)
        if (!b.events.empty())
          newest = std::max(newest, b.events.back().revision);
      // Nothing newer may match this shape: waiting for the stats revision would never end.
      if (newest < revision && r.batches.empty() && r.complete == 0)
        return false;
    }
    return true;
  };
  while (!caught_up() && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds{10});
  std::this_thread::sleep_for(std::chrono::milliseconds{200});
}

void auditor::stop() {
  for (auto& r : recorders_)
    caf::anon_send_exit(r, caf::exit_reason::user_shutdown);
  recorders_.clear();
}

} // namespace ooo::storage::model

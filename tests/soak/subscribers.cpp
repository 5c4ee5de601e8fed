#include "tests/soak/subscribers.hpp"

#include "caf/atom.hpp"

#include "tests/soak/failures.hpp"
#include "tests/soak/soak_store.hpp"

namespace ooo::storage::soak {

void oracle_subscribe(layered& store, const std::shared_ptr<oracle_state>& o) {
  uint64_t gen = 0;
  subscribe_options opts;
  opts.mode = watch_mode::lossless;
  {
    std::lock_guard<std::mutex> guard{o->mtx};
    gen = ++o->generation;
    opts.resume = o->last > 0;
    opts.since = o->last;
    ++o->resumes;
  }
  // Events still on their way to the previous subscriber are ignored from here on: the new
  // one replays them from the history.
  o->handle.stop();
  auto on_event = [o, gen](const event& ev) {
    std::lock_guard<std::mutex> guard{o->mtx};
    if (o->generation != gen)
      return;
    if (ev.revision <= o->last)
      fail("oracle: revision " + std::to_string(ev.revision) + " after "
           + std::to_string(o->last) + " (duplicate or out of order)");
    o->last = ev.revision;
    o->events.push_back(seen(ev));
    count_log_bytes(sizeof(seen_event));
  };
  auto on_lag = [](const lagged& notice) {
    fail("oracle (lossless) got a lagged notice: dropped " + std::to_string(notice.dropped)
         + ", resume from " + std::to_string(notice.resume_from)
         + (notice.ended ? ", ended" : ""));
  };
  auto w = store.watch("*/*/*", on_event, opts, on_lag);
  if (!w) {
    fail("oracle subscribe (since " + std::to_string(opts.since) + "): " + text(w.error()));
    return;
  }
  o->handle = std::move(*w);
}

std::shared_ptr<transient_state> start_transient(layered& store, std::mt19937_64& rng,
                                                 int threads, uint64_t since) {
  auto s = std::make_shared<transient_state>();
  switch (rng() % 3) {
    case 0:
      s->thread = static_cast<int>(rng() % threads);
      s->pattern = "s" + std::to_string(s->thread) + "/*/*";
      break;
    case 1:
      s->group = static_cast<int>(rng() % 8);
      s->pattern = "*/g" + std::to_string(s->group) + "/*";
      break;
    default:
      s->pattern = "*/*/*";
  }
  s->since = since;
  subscribe_options opts;
  opts.resume = true;
  opts.since = since;
  auto w = store.watch(
    s->pattern,
    [s](const event& ev) {
      std::lock_guard<std::mutex> guard{s->mtx};
      if (s->stopped)
        return;
      auto entry = seen(ev);
      if (!s->covers(entry.id))
        ++s->mismatched;
      s->entries.push_back(entry);
      count_log_bytes(sizeof(seen_event));
    },
    opts,
    [s](const lagged& notice) {
      std::lock_guard<std::mutex> guard{s->mtx};
      if (s->stopped)
        return;
      s->entries.push_back(seen_event{notice.resume_from, notice.dropped, op_notice});
    });
  if (!w) {
    fail("subscribe " + s->pattern + " since " + std::to_string(since) + ": " + text(w.error()));
    return nullptr;
  }
  s->handle = std::move(*w);
  return s;
}

void stop_transient(transient_state& s) {
  {
    std::lock_guard<std::mutex> guard{s.mtx};
    s.stopped = true;
  }
  s.handle.stop();
}

caf::behavior stalled_subscriber(caf::stateful_actor<stalled_state>* self) {
  return {
    [=](const event_batch& batch) -> caf::result<void> {
      self->state.events += batch.events.size();
      self->state.parked.push_back(self->make_response_promise());
      return caf::delegated<void>{};
    },
    [=](const lagged&) {
      // nop
    },
    [=](caf::get_atom) { return self->state.events; },
  };
}

} // namespace ooo::storage::soak

#include <algorithm>
#include <cstdlib>
#include <iostream>

#include "tests/model/check_context.hpp"

namespace ooo::storage::model {

namespace {

std::string text(const bytes& x) {
  return std::string(x.begin(), x.end());
}

} // namespace

void check_context::check_events() {
  std::map<uint64_t, const commit*> by_revision;
  for (auto& c : in.commits)
    by_revision[c.revision()] = &c;
  uint64_t final_revision = in.commits.empty() ? in.initial_revision
                                                : in.commits.back().revision();
  for (size_t s = 0; s < in.subscriptions.size(); ++s) {
    auto& sub = in.subscriptions[s];
    auto name = "subscription " + std::to_string(s) + " (client " + std::to_string(sub.client)
                + ", " + sub.pattern + (sub.opts.resume ? ", since " + std::to_string(sub.opts.since)
                                                        : std::string{", live"})
                + (sub.opts.mode == watch_mode::lossless ? ", lossless" : ", drop") + ")";
    auto fail = [&](const std::string& what, const std::string& key) {
      report("events", name + ": " + what, key, {});
      // OOO_MODEL_DUMP=1 prints what the failing subscription received, for debugging.
      if (std::getenv("OOO_MODEL_DUMP") == nullptr)
        return;
      size_t b = 0;
      for (auto& batch : sub.batches) {
        for (auto& n : sub.notices)
          if (n.after_batches == b)
            std::cerr << "  notice dropped " << n.what.dropped << " resume " << n.what.resume_from
                      << (n.what.ended ? " ended" : "") << " tick " << n.tick << "\n";
        std::cerr << "  batch " << b++ << " tick " << batch.tick << ":";
        for (auto& ev : batch.events)
          std::cerr << " " << ev.revision << "/" << ev.unit;
        std::cerr << "\n";
      }
      for (auto& n : sub.notices)
        if (n.after_batches >= b)
          std::cerr << "  notice dropped " << n.what.dropped << " resume " << n.what.resume_from
                    << (n.what.ended ? " ended" : "") << " tick " << n.tick << "\n";
      std::cerr << "  visible commits of the pattern:";
      for (auto& c : in.commits)
        if (c.what.visible && covers(sub.pattern, c.what.key))
          std::cerr << " " << c.revision() << "/" << c.unit;
      std::cerr << "\n";
    };
    if (sub.complete == 0) {
      fail("the subscribe request got no answer", "");
      continue;
    }
    if (sub.error) {
      if (!is(sub.error, errc::compacted) && !is(sub.error, errc::limit_exceeded))
        fail("subscribe failed: " + render(sub.error), "");
      continue;
    }
    // What it received, flattened, with the batch each event came in.
    struct got {
      const event* ev;
      size_t batch;
    };
    std::vector<got> events;
    for (size_t b = 0; b < sub.batches.size(); ++b)
      for (auto& ev : sub.batches[b].events)
        events.push_back(got{&ev, b});
    // Each event is the committed change of its revision.
    bool ok = true;
    for (size_t i = 0; i < events.size() && ok; ++i) {
      auto& ev = *events[i].ev;
      if (i > 0 && events[i - 1].ev->revision >= ev.revision) {
        fail("revision " + std::to_string(ev.revision) + " arrived after "
               + std::to_string(events[i - 1].ev->revision),
             ev.key);
        ok = false;
        break;
      }
      if (ev.revision <= in.initial_revision)
        continue;
      auto c = by_revision.find(ev.revision);
      if (c == by_revision.end() || !c->second->what.visible || c->second->what.key != ev.key
          || c->second->what.put != (ev.op == event_op::set) || c->second->unit != ev.unit
          || !covers(sub.pattern, ev.key)) {
        fail("event " + std::to_string(ev.revision) + " " + to_string(ev.op) + " " + ev.key
               + " (unit " + std::to_string(ev.unit) + ") is not a visible change of its pattern",
             ev.key);
        ok = false;
        break;
      }
      auto& cm = *c->second;
      if (ev.op == event_op::set) {
        if (!ev.value || ev.value->data != cm.what.value.data
            || ev.value->revision != ev.revision || ev.value->created != cm.what.value.created
            || ev.value->updated != cm.what.value.updated) {
          fail("event " + std::to_string(ev.revision) + " carries another value than the commit",
               ev.key);
          ok = false;
        }
      } else {
        auto& kv = keys[ev.key];
        auto& before = kv.versions[kv.before(ev.revision)];
        if (ev.value && before.exists && ev.value->data != before.obj.data) {
          fail("del event " + std::to_string(ev.revision) + " carries " + text(ev.value->data)
                 + ", the deleted value was " + text(before.obj.data),
               ev.key);
          ok = false;
        }
      }
    }
    if (!ok)
      continue;
    // A batch never splits a unit.
    for (size_t i = 1; i < events.size(); ++i)
      if (events[i].ev->unit == events[i - 1].ev->unit && events[i].batch != events[i - 1].batch) {
        fail("unit " + std::to_string(events[i].ev->unit) + " was split across two batches",
             events[i].ev->key);
        ok = false;
        break;
      }
    if (!ok)
      continue;
    // What it should have received: every visible change of its pattern after its start.
    std::vector<const commit*> expected;
    for (auto& c : in.commits)
      if (c.what.visible && covers(sub.pattern, c.what.key))
        expected.push_back(&c);
    uint64_t start = 0;
    if (sub.opts.resume) {
      start = sub.opts.since;
    } else {
      // Live: from wherever the event log stood when the subscription arrived, which is no
      // later than the first change committed after the subscribe was answered.
      start = events.empty() ? final_revision : events.front().ev->revision - 1;
      for (auto* c : expected)
        if (c->tick > sub.complete && c->revision() <= start) {
          fail("missed revision " + std::to_string(c->revision()) + " (" + c->what.key
                 + "), committed after the subscription was answered",
               c->what.key);
          ok = false;
          break;
        }
      if (!ok)
        continue;
    }
    start = std::max(start, in.initial_revision);
    bool ended = std::any_of(sub.notices.begin(), sub.notices.end(),
                             [](auto& n) { return n.what.ended; });
    uint64_t end = sub.stopped != 0 || ended
                     ? (events.empty() ? start : events.back().ev->revision)
                     : final_revision;
    // Walk expected and received side by side; a gap must be a notice's.
    size_t j = 0;
    uint64_t missing = 0, first_missing = 0;
    size_t notice = 0;
    auto events_before = [&](const subscription_record::notice& n) {
      size_t count = 0;
      for (size_t b = 0; b < n.after_batches && b < sub.batches.size(); ++b)
        count += sub.batches[b].events.size();
      return count;
    };
    auto settle_gap = [&](size_t at_event) {
      if (missing == 0)
        return true;
      // The notice that reports this gap arrives before the next event.
      while (notice < sub.notices.size() && sub.notices[notice].what.ended)
        ++notice;
      if (notice >= sub.notices.size() || events_before(sub.notices[notice]) != at_event) {
        fail("missed " + std::to_string(missing) + " event(s) from revision "
               + std::to_string(first_missing) + " without a lagged notice",
             by_revision[first_missing]->what.key);
        return false;
      }
      auto& n = sub.notices[notice++].what;
      uint64_t last_got = at_event == 0 ? start : events[at_event - 1].ev->revision;
      if (n.dropped != missing || n.resume_from < last_got || n.resume_from >= first_missing) {
        fail("a lagged notice says " + std::to_string(n.dropped) + " dropped, resume from "
               + std::to_string(n.resume_from) + "; the gap was " + std::to_string(missing)
               + " event(s) from revision " + std::to_string(first_missing),
             by_revision[first_missing]->what.key);
        return false;
      }
      missing = 0;
      return true;
    };
    for (auto* c : expected) {
      auto rev = c->revision();
      if (rev <= start || rev > end)
        continue;
      if (j < events.size() && events[j].ev->revision == rev) {
        if (!settle_gap(j)) {
          ok = false;
          break;
        }
        ++j;
        continue;
      }
      if (j < events.size() && events[j].ev->revision < rev) {
        fail("received revision " + std::to_string(events[j].ev->revision)
               + ", which it should not have",
             events[j].ev->key);
        ok = false;
        break;
      }
      if (missing++ == 0)
        first_missing = rev;
    }
    if (!ok)
      continue;
    if (j < events.size()) {
      fail("received revision " + std::to_string(events[j].ev->revision)
             + " outside what it subscribed to",
           events[j].ev->key);
      continue;
    }
    if (missing > 0 && !ended)
      settle_gap(events.size());
  }
}

} // namespace ooo::storage::model

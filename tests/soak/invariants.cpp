#include "tests/soak/invariants.hpp"

#include <algorithm>

#include "tests/soak/failures.hpp"
#include "tests/soak/key_ids.hpp"

namespace ooo::storage::soak {

void check_oracle(std::vector<op_record>& writes, const std::vector<seen_event>& truth) {
  std::sort(writes.begin(), writes.end(), [](const op_record& x, const op_record& y) {
    return x.id != y.id ? x.id < y.id : x.seq < y.seq;
  });
  std::vector<seen_event> by_key = truth;
  std::stable_sort(by_key.begin(), by_key.end(),
                   [](const seen_event& x, const seen_event& y) { return x.id < y.id; });
  if (writes.size() != by_key.size())
    fail("oracle saw " + std::to_string(by_key.size()) + " events, the writers made "
         + std::to_string(writes.size()) + " visible changes");
  size_t reported = 0;
  for (size_t i = 0; i < std::min(writes.size(), by_key.size()) && reported < 5; ++i) {
    auto& w = writes[i];
    auto& e = by_key[i];
    if (w.id != e.id || w.op != e.op || (w.op == op_set && w.revision != e.revision)) {
      fail("change #" + std::to_string(i) + " in key order: writer " + describe(w.id) + " "
           + (w.op == op_set ? "set" : "del") + " at " + std::to_string(w.revision)
           + ", oracle " + describe(e.id) + " " + (e.op == op_set ? "set" : "del") + " at "
           + std::to_string(e.revision));
      ++reported;
    }
  }
}

void check_transient(transient_state& s, const std::vector<seen_event>& truth, size_t index,
                     uint64_t& events, uint64_t& dropped) {
  std::lock_guard<std::mutex> guard{s.mtx};
  auto where = "subscriber #" + std::to_string(index) + " (" + s.pattern + ", since "
               + std::to_string(s.since) + "): ";
  if (s.mismatched > 0)
    fail(where + std::to_string(s.mismatched) + " events for keys outside its pattern");
  auto pos = std::upper_bound(truth.begin(), truth.end(), s.since,
                              [](uint64_t rev, const seen_event& e) { return rev < e.revision; });
  auto next_expected = [&] {
    while (pos != truth.end() && !s.covers(pos->id))
      ++pos;
  };
  uint64_t announced = 0;
  for (auto& e : s.entries) {
    if (e.op == op_notice) {
      announced += e.id;
      dropped += e.id;
      continue;
    }
    ++events;
    uint64_t skipped = 0;
    next_expected();
    while (pos != truth.end() && pos->revision < e.revision) {
      ++skipped;
      ++pos;
      next_expected();
    }
    if (pos == truth.end() || pos->revision != e.revision || pos->id != e.id
        || pos->op != e.op) {
      fail(where + "event at revision " + std::to_string(e.revision) + " for "
           + describe(e.id) + " is not the oracle's (duplicate, out of order, or wrong)");
      return;
    }
    if (skipped != announced) {
      fail(where + "missed " + std::to_string(skipped) + " events before revision "
           + std::to_string(e.revision) + ", its notices announced " + std::to_string(announced));
      return;
    }
    announced = 0;
    ++pos;
  }
  uint64_t rest = 0;
  for (next_expected(); pos != truth.end(); ++pos, next_expected())
    ++rest;
  if (announced > rest)
    fail(where + "notices announced " + std::to_string(announced) + " dropped events, only "
         + std::to_string(rest) + " came after its last event");
}

void check_memory_matches_model(const std::map<std::string, object>& in_memory_objects,
                                const std::map<std::string, bytes>& model) {
  std::map<std::string, bytes> in_memory;
  for (auto& [key, obj] : in_memory_objects)
    in_memory.emplace(key, obj.data);
  if (in_memory == model)
    return;
  size_t shown = 0;
  for (auto& [key, value] : model) {
    auto i = in_memory.find(key);
    if (shown < 5 && (i == in_memory.end() || i->second != value)) {
      fail("memory != model at " + key
           + (i == in_memory.end() ? " (missing)" : " (value differs)"));
      ++shown;
    }
  }
  for (auto& [key, value] : in_memory)
    if (shown < 10 && model.count(key) == 0) {
      fail("memory has " + key + ", the model does not");
      ++shown;
    }
  if (shown == 0)
    fail("memory != model");
}

void check_counter(const std::map<std::string, object>& in_memory, uint64_t increments) {
  auto counter_text = std::to_string(increments);
  auto counter = in_memory.find(counter_key);
  if (counter == in_memory.end()
      || std::string(counter->second.data.begin(), counter->second.data.end()) != counter_text)
    fail("the locked counter is not " + counter_text + ": lost increments (mutual exclusion)");
}

void check_disk_matches_memory(const std::map<std::string, object>& before,
                               const std::map<std::string, object>& after) {
  if (after == before)
    return;
  size_t shown = 0;
  for (auto& [key, obj] : before) {
    auto i = after.find(key);
    if (shown < 5 && (i == after.end() || !(i->second == obj))) {
      fail("disk != memory at " + key + (i == after.end() ? " (missing)" : " (fields differ)"));
      ++shown;
    }
  }
  if (after.size() != before.size())
    fail("disk has " + std::to_string(after.size()) + " keys, memory had "
         + std::to_string(before.size()));
}

void check_replay(uint64_t since, const std::vector<seen_event>& replayed,
                  const std::vector<seen_event>& expected) {
  auto same = replayed.size() == expected.size()
              && std::equal(expected.begin(), expected.end(), replayed.begin(),
                            [](auto& x, auto& y) {
                              return x.revision == y.revision && x.id == y.id && x.op == y.op;
                            });
  if (!same)
    fail("resume after restart since " + std::to_string(since) + ": got "
         + std::to_string(replayed.size()) + " events, the oracle saw "
         + std::to_string(expected.size()) + " (or they differ)");
}

} // namespace ooo::storage::soak

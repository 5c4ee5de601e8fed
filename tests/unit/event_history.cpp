#define CAF_SUITE event_history
#include "caf/test/dsl.hpp"

#include <string>
#include <vector>

#include "actors/event_history.hpp"

using namespace ooo::storage;

namespace {

event make(uint64_t revision, std::string key, size_t data_size, uint64_t unit = 0) {
  event ev;
  ev.revision = revision;
  ev.key = key;
  ev.op = event_op::set;
  object obj;
  obj.path = std::move(key);
  obj.revision = revision;
  obj.data = bytes(data_size, 'x');
  ev.value = std::move(obj);
  ev.unit = unit == 0 ? revision : unit;
  return ev;
}

std::vector<uint64_t> revisions_after(const event_history& h, uint64_t since) {
  std::vector<uint64_t> result;
  for (auto i = h.after(since); i != h.end(); ++i)
    result.push_back(i->revision);
  return result;
}

using revs = std::vector<uint64_t>;

} // namespace

CAF_TEST(the count bound trims the oldest events and moves the compaction point) {
  event_history h{3, 1 << 20};
  for (uint64_t r = 1; r <= 5; ++r)
    h.append(make(r, "k", 1));
  CAF_CHECK_EQUAL(h.size(), 3u);
  CAF_CHECK_EQUAL(h.compacted(), 2u);
  CAF_CHECK_EQUAL(revisions_after(h, 0), (revs{3, 4, 5}));
  CAF_CHECK_EQUAL(revisions_after(h, 3), (revs{4, 5}));
  CAF_CHECK_EQUAL(revisions_after(h, 5), revs{});
}

CAF_TEST(the byte bound counts keys and values) {
  // Each event costs key (1) + path (1) + data (10) = 12 bytes.
  event_history h{100, 30};
  for (uint64_t r = 1; r <= 4; ++r)
    h.append(make(r, "k", 10));
  CAF_CHECK_EQUAL(h.size(), 2u);
  CAF_CHECK_EQUAL(h.bytes(), 24u);
  CAF_CHECK_EQUAL(h.compacted(), 2u);
}

CAF_TEST(trimming takes a whole unit) {
  event_history h{4, 1 << 20};
  h.append(make(1, "a", 1));
  // Revisions 2..4 are one glob delete (unit 4).
  h.append(make(2, "b", 1, 4));
  h.append(make(3, "c", 1, 4));
  h.append(make(4, "d", 1, 4));
  h.append(make(5, "e", 1));
  CAF_CHECK_EQUAL(h.size(), 4u);
  h.append(make(6, "f", 1));
  // Dropping revision 2 takes 3 and 4 with it: a resume point never splits a unit.
  CAF_CHECK_EQUAL(h.compacted(), 4u);
  CAF_CHECK_EQUAL(revisions_after(h, 0), (revs{5, 6}));
}

CAF_TEST(keeping nothing still advances the compaction point) {
  event_history h{0, 1 << 20};
  h.append(make(1, "a", 1));
  h.append(make(2, "a", 1));
  CAF_CHECK_EQUAL(h.size(), 0u);
  CAF_CHECK_EQUAL(h.compacted(), 2u);
}

CAF_TEST(compact to drops what lies at or before it) {
  event_history h{10, 1 << 20};
  for (uint64_t r = 1; r <= 5; ++r)
    h.append(make(r, "k", 1));
  h.compact_to(3);
  CAF_CHECK_EQUAL(revisions_after(h, 0), (revs{4, 5}));
  h.compact_to(1); // never backwards
  CAF_CHECK_EQUAL(h.compacted(), 3u);
}

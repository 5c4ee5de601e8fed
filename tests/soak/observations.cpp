#include "tests/soak/observations.hpp"

#include <atomic>

#include "tests/soak/key_ids.hpp"

namespace ooo::storage::soak {

namespace {

std::atomic<size_t> book_bytes{0};

} // namespace

seen_event seen(const event& ev) {
  return seen_event{ev.revision, id_of(ev.key), ev.op == event_op::set ? op_set : op_del};
}

void count_log_bytes(size_t n) {
  book_bytes += n;
}

size_t log_bytes() {
  return book_bytes.load();
}

} // namespace ooo::storage::soak

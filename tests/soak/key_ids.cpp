#include "tests/soak/key_ids.hpp"

#include <sstream>

namespace ooo::storage::soak {

uint64_t id_of(const std::string& key) {
  auto a = key.find('/');
  auto b = key.find('/', a + 1);
  auto s0 = key.substr(0, a);
  auto s1 = key.substr(a + 1, b - a - 1);
  auto s2 = key.substr(b + 1);
  uint64_t t = s0 == "x" ? shared_thread : std::stoull(s0.substr(1));
  uint64_t g = 0;
  uint64_t i = 0;
  if (s1 == "q") {
    g = group_push;
    i = std::stoull(s2, nullptr, 16);
  } else {
    g = s1 == "cas" ? group_cas : s1 == "lk" ? group_lockkey : s1 == "lock" ? group_counter
                                                            : std::stoull(s1.substr(1));
    i = s1 == "lock" ? 0 : std::stoull(s2);
  }
  return (t << 56) | (g << 48) | (i & ((uint64_t{1} << 48) - 1));
}

std::string describe(uint64_t id) {
  std::ostringstream out;
  out << "key(thread " << (id >> 56) << ", group " << ((id >> 48) & 0xff) << ", item "
      << (id & ((uint64_t{1} << 48) - 1)) << ")";
  return out.str();
}

} // namespace ooo::storage::soak

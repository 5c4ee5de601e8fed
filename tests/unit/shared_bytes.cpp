#define CAF_SUITE shared_bytes
#include "caf/test/dsl.hpp"

#include <string>
#include <vector>

#include "caf/binary_deserializer.hpp"
#include "caf/binary_serializer.hpp"

#include "messages/bytes.hpp"
#include "messages/errc.hpp"
#include "messages/object.hpp"

using namespace ooo::storage;

namespace {

std::string text(const bytes& x) {
  return std::string(x.begin(), x.end());
}

/// What a peer would send: a length of its choosing, then `tail`.
std::vector<char> forged(size_t claimed, const std::string& tail) {
  std::vector<char> buf;
  caf::binary_serializer sink{nullptr, buf};
  auto n = claimed;
  CAF_REQUIRE(!sink.begin_sequence(n));
  for (auto c : tail)
    buf.push_back(c);
  return buf;
}

} // namespace

CAF_TEST(copies share one buffer and never change it) {
  bytes a{'a', 'b', 'c'};
  CAF_CHECK_EQUAL(a.use_count(), 1u);
  auto b = a;
  CAF_CHECK_EQUAL(a.use_count(), 2u);
  CAF_CHECK_EQUAL(static_cast<const void*>(a.data()), static_cast<const void*>(b.data()));
  {
    auto c = b;
    CAF_CHECK_EQUAL(a.use_count(), 3u);
  }
  CAF_CHECK_EQUAL(a.use_count(), 2u);
  std::string xyz{"xyz"};
  b.assign(xyz.begin(), xyz.end());
  CAF_CHECK_EQUAL(text(a), "abc");
  CAF_CHECK_EQUAL(a.use_count(), 1u);
  auto moved = std::move(a);
  CAF_CHECK(a.empty());
  CAF_CHECK_EQUAL(text(moved), "abc");
}

CAF_TEST(every way to build one gives the bytes asked for) {
  std::string s = "hello";
  CAF_CHECK_EQUAL(text(bytes(s.begin(), s.end())), "hello");
  CAF_CHECK_EQUAL(text(bytes(std::string_view{"hi"})), "hi");
  CAF_CHECK_EQUAL(text(bytes(3, 'x')), "xxx");
  CAF_CHECK_EQUAL(text(bytes{'o', 'k'}), "ok");
  std::vector<char> v{'v', 'e', 'c'};
  CAF_CHECK_EQUAL(text(bytes(v.begin(), v.end())), "vec");
  CAF_CHECK(bytes{}.empty());
  CAF_CHECK(bytes(s.begin(), s.begin()).empty());
  CAF_CHECK(bytes{'a'} == bytes(std::string_view{"a"}));
  CAF_CHECK(bytes{'a'} != bytes{'b'});
  CAF_CHECK(bytes{'a'} < bytes{'b'});
}

CAF_TEST(a value crosses the wire as its length and bytes) {
  object x;
  x.path = "users/1";
  x.data = bytes(std::string_view{"{\"n\":1}"});
  x.revision = 7;
  std::vector<char> buf;
  caf::binary_serializer sink{nullptr, buf};
  CAF_REQUIRE(!inspect(sink, x));
  object y;
  caf::binary_deserializer source{nullptr, buf};
  CAF_REQUIRE(!inspect(source, y));
  CAF_CHECK(x == y);
  CAF_CHECK_EQUAL(source.remaining(), 0u);
}

CAF_TEST(a forged length is refused before anything is allocated) {
  // Almost 4 GiB announced (the most a length on the wire can say), 3 bytes sent.
  auto buf = forged(0xFFFFFFFFu, "abc");
  bytes x;
  caf::binary_deserializer source{nullptr, buf};
  auto err = bytes::read(source, x);
  CAF_REQUIRE(err);
  CAF_CHECK(is(err, errc::too_large));
  CAF_CHECK(x.empty());
}

CAF_TEST(a length beyond what the message holds is refused) {
  auto buf = forged(1000, "only a few bytes");
  bytes x;
  caf::binary_deserializer source{nullptr, buf};
  CAF_CHECK(is(bytes::read(source, x), errc::too_large));
}

CAF_TEST(the wire limit bounds even a complete message) {
  auto saved = bytes::max_wire_size();
  bytes::max_wire_size(8);
  auto buf = forged(10, "0123456789");
  bytes x;
  caf::binary_deserializer source{nullptr, buf};
  CAF_CHECK(is(bytes::read(source, x), errc::too_large));
  bytes::max_wire_size(saved);
  caf::binary_deserializer again{nullptr, buf};
  CAF_CHECK(!bytes::read(again, x));
  CAF_CHECK_EQUAL(text(x), "0123456789");
}

// The framing of command entries (length prefix, padding to 8 bytes) and the snapshot header.

#define CAF_SUITE entry_frame
#include "caf/test/dsl.hpp"

#include <string>

#include "replication/detail/entry_frame.hpp"
#include "replication/detail/fsm_adapter.hpp"

using namespace ooo::storage::replication;
using namespace ooo::storage::replication::detail;

CAF_TEST(frames have a multiple of 8 bytes and give the payload back) {
  for (size_t n = 0; n <= 17; ++n) {
    std::string payload(n, 'x');
    for (size_t i = 0; i < n; ++i)
      payload[i] = static_cast<char>('a' + i);
    auto buf = frame(payload.data(), payload.size());
    CAF_REQUIRE(buf.base != nullptr);
    CAF_CHECK_EQUAL(buf.len % 8, 0u);
    CAF_CHECK_GREATER_OR_EQUAL(buf.len, n + frame_header_size);
    const char* data = nullptr;
    size_t size = 0;
    CAF_REQUIRE(unframe(buf, data, size));
    CAF_CHECK_EQUAL(std::string(data, size), payload);
    raft_free(buf.base);
  }
}

CAF_TEST(unframe refuses what is not a frame) {
  char raw[16] = {};
  const char* data = nullptr;
  size_t size = 0;
  CAF_CHECK(!unframe(raft_buffer{raw, 4}, data, size)); // shorter than the length prefix
  CAF_CHECK(!unframe(raft_buffer{raw, 12}, data, size)); // not a multiple of 8
  raw[0] = 9; // claims 9 payload bytes, holds 8
  CAF_CHECK(!unframe(raft_buffer{raw, 16}, data, size));
  raw[0] = 8;
  CAF_CHECK(unframe(raft_buffer{raw, 16}, data, size));
  CAF_CHECK_EQUAL(size, 8u);
}

CAF_TEST(the snapshot header carries the index and is recognised) {
  auto header = fsm_adapter::make_header(0x0102030405060708ull);
  CAF_REQUIRE_EQUAL(header.size(), fsm_adapter::header_size);
  uint64_t index = 0;
  CAF_CHECK(fsm_adapter::read_header(header.data(), header.size(), index));
  CAF_CHECK_EQUAL(index, 0x0102030405060708ull);
  CAF_CHECK(!fsm_adapter::read_header(header.data(), header.size() - 1, index));
  header[0] = 'X';
  CAF_CHECK(!fsm_adapter::read_header(header.data(), header.size(), index));
}

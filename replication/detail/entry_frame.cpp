#include "replication/detail/entry_frame.hpp"

#include <cstring>

namespace ooo::storage::replication::detail {

raft_buffer frame(const char* data, size_t size) {
  auto padded = (size + 7) / 8 * 8;
  raft_buffer buf;
  buf.len = frame_header_size + padded;
  buf.base = raft_malloc(buf.len);
  if (buf.base == nullptr)
    return buf;
  auto out = static_cast<char*>(buf.base);
  for (size_t i = 0; i < frame_header_size; ++i)
    out[i] = static_cast<char>((uint64_t{size} >> (8 * i)) & 0xff);
  if (size > 0)
    std::memcpy(out + frame_header_size, data, size);
  std::memset(out + frame_header_size + size, 0, padded - size);
  return buf;
}

bool unframe(const raft_buffer& buf, const char*& data, size_t& size) {
  if (buf.len < frame_header_size || buf.len % 8 != 0)
    return false;
  auto in = static_cast<const char*>(buf.base);
  uint64_t length = 0;
  for (size_t i = 0; i < frame_header_size; ++i)
    length |= uint64_t{static_cast<unsigned char>(in[i])} << (8 * i);
  if (length > buf.len - frame_header_size)
    return false;
  data = in + frame_header_size;
  size = static_cast<size_t>(length);
  return true;
}

} // namespace ooo::storage::replication::detail

#include "cluster/applied_position.hpp"

#include <exception>

#include <msgpack.hpp>

#include "messages/errc.hpp"

namespace ooo::storage::cluster {

namespace {

constexpr uint64_t position_format = 1;

struct string_sink {
  std::string& out;
  void write(const char* data, size_t size) {
    out.append(data, size);
  }
};

/// One flat array of five integers and a short string.
const msgpack::unpack_limit limits{8, 0, 4096, 0, 0, 1};

caf::error bad(const std::string& what) {
  return make_error(errc::corrupt_record, "replication position record: " + what);
}

} // namespace

std::string encode(const applied_position& x) {
  std::string out;
  string_sink sink{out};
  msgpack::packer<string_sink> pk{sink};
  pk.pack_array(6);
  pk.pack_uint64(position_format);
  pk.pack_uint64(x.index);
  pk.pack_uint64(x.revision);
  pk.pack_uint64(x.current.term);
  pk.pack_uint64(x.current.node);
  pk.pack(x.leader_address);
  return out;
}

caf::expected<applied_position> decode_position(std::string_view bytes) {
  if (bytes.empty())
    return applied_position{};
  msgpack::object_handle handle;
  size_t offset = 0;
  try {
    handle = msgpack::unpack(bytes.data(), bytes.size(), offset, nullptr, nullptr, limits);
  } catch (const std::exception& e) {
    return bad(std::string{"does not decode ("} + e.what() + ")");
  }
  if (offset != bytes.size())
    return bad("trailing bytes");
  auto& root = handle.get();
  if (root.type != msgpack::type::ARRAY || root.via.array.size != 6)
    return bad("not an array of 6 elements");
  auto* f = root.via.array.ptr;
  for (int i = 0; i < 5; ++i)
    if (f[i].type != msgpack::type::POSITIVE_INTEGER)
      return bad("field " + std::to_string(i) + " is not an unsigned integer");
  if (f[0].via.u64 != position_format)
    return bad("unknown format " + std::to_string(f[0].via.u64));
  if (f[5].type != msgpack::type::STR)
    return bad("the leader address is not a string");
  applied_position result;
  result.index = f[1].via.u64;
  result.revision = f[2].via.u64;
  result.current.term = f[3].via.u64;
  result.current.node = f[4].via.u64;
  result.leader_address.assign(f[5].via.str.ptr, f[5].via.str.size);
  return result;
}

} // namespace ooo::storage::cluster

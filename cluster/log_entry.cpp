#include "cluster/log_entry.hpp"

#include <exception>
#include <limits>
#include <new>

#include <msgpack.hpp>

#include "messages/errc.hpp"
#include "messages/key.hpp"

namespace ooo::storage::cluster {

namespace {

constexpr uint64_t entry_format = 1;

/// Lets msgpack::packer append to a byte vector.
struct byte_sink {
  std::vector<char>& out;
  void write(const char* data, size_t size) {
    out.insert(out.end(), data, data + size);
  }
};

using packer = msgpack::packer<byte_sink>;

void pack_header(packer& pk, const char* kind, replication::group_id group, const epoch& e) {
  pk.pack_uint64(entry_format);
  pk.pack(kind);
  pk.pack_uint64(group);
  pk.pack_uint64(e.term);
  pk.pack_uint64(e.node);
}

/// Entries come from our own leaders through libraft's checksummed log; the limits only keep a
/// damaged one from claiming absurd sizes. A batch holds at most this many commits and a
/// commit at most this many changes; strings and binaries reference the input.
const msgpack::unpack_limit limits{
  size_t{1} << 24,        // array elements
  0,                      // map entries
  size_t{1} << 30,        // str bytes
  size_t{1} << 30,        // bin bytes
  0,                      // ext bytes
  4,                      // nesting: entry, commits, changes, change fields
};

bool reference_input(msgpack::type::object_type, size_t, void*) {
  return true;
}

caf::error bad(const std::string& what) {
  return make_error(errc::corrupt_record, "log entry: " + what);
}

bool read_uint(const msgpack::object& x, uint64_t& out) {
  if (x.type != msgpack::type::POSITIVE_INTEGER)
    return false;
  out = x.via.u64;
  return true;
}

bool read_int(const msgpack::object& x, int64_t& out) {
  if (x.type == msgpack::type::NEGATIVE_INTEGER) {
    out = x.via.i64;
    return true;
  }
  if (x.type == msgpack::type::POSITIVE_INTEGER
      && x.via.u64 <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
    out = static_cast<int64_t>(x.via.u64);
    return true;
  }
  return false;
}

bool read_bool(const msgpack::object& x, bool& out) {
  if (x.type != msgpack::type::BOOLEAN)
    return false;
  out = x.via.boolean;
  return true;
}

bool read_str(const msgpack::object& x, std::string& out) {
  if (x.type != msgpack::type::STR)
    return false;
  out.assign(x.via.str.ptr, x.via.str.size);
  return true;
}

caf::error read_change(const msgpack::object& x, change& out) {
  if (x.type != msgpack::type::ARRAY || x.via.array.size != 7)
    return bad("a change is not an array of 7 elements");
  auto* f = x.via.array.ptr;
  if (!read_str(f[0], out.key))
    return bad("a change's key is not a string");
  if (check_key(out.key) != errc::none)
    return bad("invalid key '" + out.key + "'");
  if (!read_bool(f[1], out.put) || !read_bool(f[2], out.visible)
      || !read_bool(f[3], out.unit_continues))
    return bad("a change's flags are not booleans (" + out.key + ")");
  if (!read_int(f[4], out.value.created) || !read_int(f[5], out.value.updated))
    return bad("a change's timestamps are not integers (" + out.key + ")");
  if (f[6].type != msgpack::type::BIN)
    return bad("a change's data is not binary (" + out.key + ")");
  out.value.data.assign(f[6].via.bin.ptr, f[6].via.bin.ptr + f[6].via.bin.size);
  out.value.path = out.key;
  out.value.revision = 0;
  return caf::none;
}

caf::expected<log_entry> read_write_entry(const msgpack::object_array& xs, epoch e,
                                          replication::group_id group) {
  if (xs.size != 8)
    return bad("a write entry is not an array of 8 elements");
  write_entry result;
  result.group = group;
  result.decided_in = e;
  if (!read_uint(xs.ptr[5], result.incarnation) || !read_uint(xs.ptr[6], result.proposal))
    return bad("a write entry's proposer is not two unsigned integers");
  auto& commits = xs.ptr[7];
  if (commits.type != msgpack::type::ARRAY)
    return bad("a write entry's commits are not an array");
  result.commits.resize(commits.via.array.size);
  for (size_t i = 0; i < commits.via.array.size; ++i) {
    auto& commit = commits.via.array.ptr[i];
    if (commit.type != msgpack::type::ARRAY || commit.via.array.size == 0)
      return bad("a commit is not a non-empty array");
    auto& out = result.commits[i];
    out.resize(commit.via.array.size);
    for (size_t j = 0; j < commit.via.array.size; ++j)
      if (auto err = read_change(commit.via.array.ptr[j], out[j]))
        return err;
  }
  return log_entry{std::move(result)};
}

} // namespace

std::vector<char> encode(const write_entry& x) {
  std::vector<char> out;
  byte_sink sink{out};
  packer pk{sink};
  pk.pack_array(8);
  pack_header(pk, "w", x.group, x.decided_in);
  pk.pack_uint64(x.incarnation);
  pk.pack_uint64(x.proposal);
  pk.pack_array(static_cast<uint32_t>(x.commits.size()));
  for (auto& commit : x.commits) {
    pk.pack_array(static_cast<uint32_t>(commit.size()));
    for (auto& ch : commit) {
      pk.pack_array(7);
      pk.pack(ch.key);
      pk.pack(ch.put);
      pk.pack(ch.visible);
      pk.pack(ch.unit_continues);
      pk.pack_int64(ch.value.created);
      pk.pack_int64(ch.value.updated);
      pk.pack_bin(static_cast<uint32_t>(ch.value.data.size()));
      pk.pack_bin_body(ch.value.data.data(), static_cast<uint32_t>(ch.value.data.size()));
    }
  }
  return out;
}

std::vector<char> encode(const leader_entry& x) {
  std::vector<char> out;
  byte_sink sink{out};
  packer pk{sink};
  pk.pack_array(6);
  pack_header(pk, "l", x.group, x.starts);
  pk.pack(x.client_address);
  return out;
}

caf::expected<log_entry> decode_entry(const char* data, size_t size) {
  if (size == 0)
    return bad("empty");
  msgpack::object_handle handle;
  size_t offset = 0;
  try {
    handle = msgpack::unpack(data, size, offset, reference_input, nullptr, limits);
  } catch (const msgpack::insufficient_bytes&) {
    return bad("truncated");
  } catch (const std::bad_alloc&) {
    return bad("claims more memory than available");
  } catch (const std::exception& e) {
    return bad(std::string{"not valid msgpack ("} + e.what() + ")");
  }
  if (offset != size)
    return bad(std::to_string(size - offset) + " trailing byte(s)");
  auto& root = handle.get();
  if (root.type != msgpack::type::ARRAY || root.via.array.size < 5)
    return bad("not an array of at least 5 elements");
  auto& xs = root.via.array;
  uint64_t format = 0;
  if (!read_uint(xs.ptr[0], format) || format != entry_format)
    return bad("unknown format");
  std::string kind;
  replication::group_id group = 0;
  epoch e;
  if (!read_str(xs.ptr[1], kind) || !read_uint(xs.ptr[2], group) || !read_uint(xs.ptr[3], e.term)
      || !read_uint(xs.ptr[4], e.node))
    return bad("malformed header");
  if (kind == "w")
    return read_write_entry(xs, e, group);
  if (kind == "l") {
    if (xs.size != 6)
      return bad("a leader entry is not an array of 6 elements");
    leader_entry result;
    result.group = group;
    result.starts = e;
    if (!read_str(xs.ptr[5], result.client_address))
      return bad("a leader entry's client address is not a string");
    return log_entry{std::move(result)};
  }
  return bad("unknown kind '" + kind + "'");
}

} // namespace ooo::storage::cluster

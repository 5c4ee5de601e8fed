#include "persistence/record_codec.hpp"

#include <exception>
#include <limits>
#include <new>

#include <msgpack.hpp>

#include "messages/errc.hpp"
#include "messages/key.hpp"

namespace ooo::storage {

namespace {

/// Lets msgpack::packer append to a std::string.
struct string_sink {
  std::string& out;
  void write(const char* data, size_t size) {
    out.append(data, size);
  }
};

/// Both our arrays are flat and short; maps and extensions never occur. The array limit is what
/// keeps a garbage header claiming 2^32 elements from allocating ~128 GB. Strings and binaries
/// reference the input (see `reference_input`), so their limits only reject absurd headers; a
/// string is allowed through to get the clearer "data is not binary".
const msgpack::unpack_limit limits{
  8,                    // array elements
  0,                    // map entries
  max_record_data_size, // str bytes
  max_record_data_size, // bin bytes
  0,                    // ext bytes
  1,                    // nesting depth: one array of scalars
};

/// Makes every str/bin point into the input buffer instead of copying it into the zone. The
/// buffer outlives the object handle in every caller.
bool reference_input(msgpack::type::object_type, size_t, void*) {
  return true;
}

/// Unpacks exactly one msgpack array from `value` into `handle`. On failure returns false and
/// describes the problem in `what`.
bool unpack_array(std::string_view value, msgpack::object_handle& handle, std::string& what) {
  if (value.empty()) {
    what = "empty value";
    return false;
  }
  size_t offset = 0;
  try {
    handle = msgpack::unpack(value.data(), value.size(), offset, reference_input, nullptr,
                             limits);
  } catch (const msgpack::insufficient_bytes&) {
    what = "truncated value";
    return false;
  } catch (const msgpack::size_overflow& e) {
    what = std::string{"a size exceeds the record limits ("} + e.what() + ")";
    return false;
  } catch (const msgpack::unpack_error& e) {
    what = std::string{"not valid msgpack ("} + e.what() + ")";
    return false;
  } catch (const std::bad_alloc&) {
    what = "value claims more memory than available";
    return false;
  } catch (const std::exception& e) {
    what = std::string{"value does not decode ("} + e.what() + ")";
    return false;
  }
  if (handle.get().type != msgpack::type::ARRAY) {
    what = "not a msgpack array";
    return false;
  }
  if (offset != value.size()) {
    what = std::to_string(value.size() - offset) + " trailing byte(s) after the record";
    return false;
  }
  return true;
}

bool read_uint(const msgpack::object& x, const char* field, uint64_t& out, std::string& what) {
  if (x.type != msgpack::type::POSITIVE_INTEGER) {
    what = std::string{field} + " is not an unsigned integer";
    return false;
  }
  out = x.via.u64;
  return true;
}

bool read_int(const msgpack::object& x, const char* field, int64_t& out, std::string& what) {
  if (x.type == msgpack::type::NEGATIVE_INTEGER) {
    out = x.via.i64;
    return true;
  }
  if (x.type == msgpack::type::POSITIVE_INTEGER
      && x.via.u64 <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
    out = static_cast<int64_t>(x.via.u64);
    return true;
  }
  what = std::string{field} + " is not a 64-bit signed integer";
  return false;
}

/// Checks the version in the first element and the array's size; `arity` is the size that
/// `record_format` prescribes.
bool check_header(const msgpack::object_array& xs, size_t arity, std::string& what) {
  if (xs.size == 0) {
    what = "empty array";
    return false;
  }
  uint64_t format = 0;
  if (!read_uint(xs.ptr[0], "format version", format, what))
    return false;
  if (format != record_format) {
    what = "unknown format version " + std::to_string(format);
    return false;
  }
  if (xs.size != arity) {
    what = "array of " + std::to_string(xs.size) + " elements, expected "
           + std::to_string(arity);
    return false;
  }
  return true;
}

bool decode_record_fields(std::string_view value, object& x, std::string& what) {
  msgpack::object_handle handle;
  if (!unpack_array(value, handle, what))
    return false;
  const auto& xs = handle.get().via.array;
  if (!check_header(xs, 5, what) || !read_int(xs.ptr[1], "created", x.created, what)
      || !read_int(xs.ptr[2], "updated", x.updated, what)
      || !read_uint(xs.ptr[3], "revision", x.revision, what))
    return false;
  const auto& data = xs.ptr[4];
  if (data.type != msgpack::type::BIN) {
    what = "data is not binary";
    return false;
  }
  if (data.via.bin.size == 0) {
    what = "data is empty";
    return false;
  }
  x.data.assign(data.via.bin.ptr, data.via.bin.ptr + data.via.bin.size);
  return true;
}

bool decode_history_fields(std::string_view value, event& x, std::string& what) {
  msgpack::object_handle handle;
  if (!unpack_array(value, handle, what))
    return false;
  const auto& xs = handle.get().via.array;
  uint64_t op = 0;
  object obj;
  // Entries written before units existed have no seventh element: each was its own unit.
  x.unit = x.revision;
  auto arity = xs.size == 6 ? size_t{6} : size_t{7};
  if (!check_header(xs, arity, what) || !read_uint(xs.ptr[2], "op", op, what)
      || !read_int(xs.ptr[3], "created", obj.created, what)
      || !read_int(xs.ptr[4], "updated", obj.updated, what))
    return false;
  const auto& key = xs.ptr[1];
  const auto& data = xs.ptr[5];
  if (key.type != msgpack::type::STR || check_key({key.via.str.ptr, key.via.str.size}) != errc::none) {
    what = "key is not a valid key";
    return false;
  }
  if (data.type != msgpack::type::BIN) {
    what = "data is not binary";
    return false;
  }
  if (op != static_cast<uint64_t>(event_op::set) && op != static_cast<uint64_t>(event_op::del)) {
    what = "unknown op " + std::to_string(op);
    return false;
  }
  if (arity == 7 && (!read_uint(xs.ptr[6], "unit", x.unit, what) || x.unit < x.revision)) {
    if (what.empty())
      what = "unit " + std::to_string(x.unit) + " lies before its revision";
    return false;
  }
  x.key.assign(key.via.str.ptr, key.via.str.size);
  x.op = static_cast<event_op>(op);
  if (x.op == event_op::set) {
    if (data.via.bin.size == 0) {
      what = "data is empty";
      return false;
    }
    obj.path = x.key;
    obj.revision = x.revision;
    obj.data.assign(data.via.bin.ptr, data.via.bin.ptr + data.via.bin.size);
    x.value = std::move(obj);
  }
  return true;
}

} // namespace

std::string encode_history(const change& x, uint64_t unit) {
  std::string out;
  string_sink sink{out};
  msgpack::packer<string_sink> packer{sink};
  packer.pack_array(7);
  packer.pack(record_format);
  packer.pack(x.key);
  packer.pack(static_cast<uint64_t>(x.put ? event_op::set : event_op::del));
  auto data_size = x.put ? static_cast<uint32_t>(x.value.data.size()) : 0u;
  packer.pack(x.put ? x.value.created : 0);
  packer.pack(x.put ? x.value.updated : 0);
  packer.pack_bin(data_size);
  packer.pack_bin_body(x.value.data.data(), data_size);
  packer.pack(unit);
  return out;
}

caf::expected<event> decode_history(uint64_t revision, std::string_view value) {
  event result;
  result.revision = revision;
  std::string what;
  bool ok = false;
  try {
    ok = decode_history_fields(value, result, what);
  } catch (const std::exception& e) {
    what = std::string{"value does not decode ("} + e.what() + ")";
  }
  if (!ok)
    return make_error(errc::corrupt_record,
                      "history record " + std::to_string(revision) + ": " + what);
  return result;
}

std::string encode_record(const object& x) {
  std::string out;
  out.reserve(x.data.size() + 40);
  string_sink sink{out};
  msgpack::packer<string_sink> packer{sink};
  packer.pack_array(5);
  packer.pack(record_format);
  packer.pack(x.created);
  packer.pack(x.updated);
  packer.pack(x.revision);
  packer.pack_bin(static_cast<uint32_t>(x.data.size()));
  packer.pack_bin_body(x.data.data(), static_cast<uint32_t>(x.data.size()));
  return out;
}

caf::expected<object> decode_record(std::string_view key, std::string_view value) {
  object result;
  std::string what;
  bool ok = false;
  try {
    ok = decode_record_fields(value, result, what);
  } catch (const std::exception& e) {
    // Only std::bad_alloc while copying `data` can get here.
    what = std::string{"value does not decode ("} + e.what() + ")";
  }
  if (!ok) {
    std::string detail = "record '";
    detail += printable_key(key);
    detail += "': ";
    detail += what;
    return make_error(errc::corrupt_record, std::move(detail));
  }
  result.path.assign(key.data(), key.size());
  return result;
}

std::string printable_key(std::string_view key) {
  static constexpr char hex[] = "0123456789abcdef";
  std::string out;
  out.reserve(key.size());
  for (char c : key) {
    auto byte = static_cast<unsigned char>(c);
    if (byte >= 0x20 && byte < 0x7f) {
      out += c;
    } else {
      out += "\\x";
      out += hex[byte >> 4];
      out += hex[byte & 0x0f];
    }
  }
  return out;
}

std::string encode_meta(uint64_t last_revision) {
  std::string out;
  string_sink sink{out};
  msgpack::packer<string_sink> packer{sink};
  packer.pack_array(2);
  packer.pack(record_format);
  packer.pack(last_revision);
  return out;
}

caf::expected<uint64_t> decode_meta(std::string_view value) {
  std::string what;
  msgpack::object_handle handle;
  uint64_t last_revision = 0;
  if (unpack_array(value, handle, what)) {
    const auto& xs = handle.get().via.array;
    if (check_header(xs, 2, what) && read_uint(xs.ptr[1], "last revision", last_revision, what))
      return last_revision;
  }
  return make_error(errc::corrupt_record, "metadata record: " + what);
}

} // namespace ooo::storage

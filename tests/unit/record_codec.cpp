#define CAF_SUITE record_codec
#include "caf/test/dsl.hpp"

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include <msgpack.hpp>

#include "messages/errc.hpp"
#include "persistence/record_codec.hpp"

using namespace ooo::storage;

namespace {

object make_object(std::string path, bytes data) {
  object x;
  x.created = 1'700'000'000'123'456'789;
  x.updated = 1'700'000'001'000'000'000;
  x.revision = 42;
  x.path = std::move(path);
  x.data = std::move(data);
  return x;
}

/// Collects what a msgpack::packer writes.
struct string_buffer {
  std::string out;
  void write(const char* data, size_t size) {
    out.append(data, size);
  }
};

using pk_t = msgpack::packer<string_buffer>;

/// Lets a test build arbitrary msgpack with the packer API.
template <class F>
std::string packed(F f) {
  string_buffer buf;
  pk_t pk{buf};
  f(pk);
  return std::move(buf.out);
}

std::string valid_record() {
  return encode_record(make_object("users/1", bytes{'h', 'i'}));
}

struct corrupt_case {
  const char* name;
  std::string value;
  /// A piece of the expected detail.
  const char* what;
};

std::vector<corrupt_case> corrupt_cases() {
  auto good = valid_record();
  std::vector<corrupt_case> xs;
  xs.push_back({"empty", "", "empty value"});
  xs.push_back({"truncated by one byte", good.substr(0, good.size() - 1), "truncated"});
  xs.push_back({"header only", good.substr(0, 1), "truncated"});
  xs.push_back({"trailing byte", good + std::string(1, '\0'), "1 trailing byte"});
  xs.push_back({"two records", good + good, "trailing"});
  xs.push_back({"not an array", packed([](pk_t& pk) { pk.pack(uint64_t{1}); }),
                "not a msgpack array"});
  xs.push_back({"empty array", packed([](pk_t& pk) { pk.pack_array(0); }), "empty array"});
  xs.push_back({"array32 claiming 2^32-1 elements", std::string("\xdd\xff\xff\xff\xff", 5),
                "exceeds the record limits"});
  xs.push_back({"map32 claiming 2^32-1 entries", std::string("\xdf\xff\xff\xff\xff", 5),
                "exceeds the record limits"});
  xs.push_back({"bin32 claiming 4 GiB",
                packed([](pk_t& pk) {
                  pk.pack_array(5);
                  pk.pack(uint64_t{1});
                  pk.pack(int64_t{1});
                  pk.pack(int64_t{0});
                  pk.pack(uint64_t{1});
                }) + std::string("\xc6\xff\xff\xff\xff", 5),
                "truncated"});
  xs.push_back({"bin32 claiming 512 MiB in a short buffer",
                packed([](pk_t& pk) {
                  pk.pack_array(5);
                  pk.pack(uint64_t{1});
                  pk.pack(int64_t{1});
                  pk.pack(int64_t{0});
                  pk.pack(uint64_t{1});
                }) + std::string("\xc6\x20\x00\x00\x00xyz", 8),
                "truncated"});
  xs.push_back({"nested array",
                packed([](pk_t& pk) {
                  pk.pack_array(5);
                  pk.pack(uint64_t{1});
                  pk.pack_array(1);
                  pk.pack(int64_t{1});
                  pk.pack(int64_t{0});
                  pk.pack(uint64_t{1});
                  pk.pack_bin(1);
                  pk.pack_bin_body("x", 1);
                }),
                "exceeds the record limits"});
  xs.push_back({"invalid msgpack byte", std::string("\xc1", 1), "not valid msgpack"});
  auto record = [](auto format, auto created, auto updated, auto revision, auto data) {
    return packed([&](pk_t& pk) {
      pk.pack_array(5);
      format(pk);
      created(pk);
      updated(pk);
      revision(pk);
      data(pk);
    });
  };
  auto u = [](uint64_t x) { return [x](pk_t& pk) { pk.pack(x); }; };
  auto i = [](int64_t x) { return [x](pk_t& pk) { pk.pack(x); }; };
  auto nil = [](pk_t& pk) { pk.pack_nil(); };
  auto bin = [](pk_t& pk) {
    pk.pack_bin(3);
    pk.pack_bin_body("abc", 3);
  };
  xs.push_back({"format version 7", record(u(7), i(1), i(0), u(1), bin),
                "unknown format version 7"});
  xs.push_back({"format version 0", record(u(0), i(1), i(0), u(1), bin),
                "unknown format version 0"});
  xs.push_back({"format is nil", record(nil, i(1), i(0), u(1), bin),
                "format version is not an unsigned integer"});
  xs.push_back({"created is nil", record(u(1), nil, i(0), u(1), bin),
                "created is not a 64-bit signed integer"});
  xs.push_back({"updated is a bool",
                record(u(1), i(1), [](pk_t& pk) { pk.pack_true(); }, u(1), bin),
                "updated is not a 64-bit signed integer"});
  xs.push_back({"created beyond int64",
                record(u(1), u(std::numeric_limits<uint64_t>::max()), i(0), u(1), bin),
                "created is not a 64-bit signed integer"});
  xs.push_back({"negative revision", record(u(1), i(1), i(0), i(-1), bin),
                "revision is not an unsigned integer"});
  xs.push_back({"data is an integer", record(u(1), i(1), i(0), u(1), u(5)),
                "data is not binary"});
  xs.push_back({"data is an empty string",
                record(u(1), i(1), i(0), u(1), [](pk_t& pk) { pk.pack_str(0); }),
                "data is not binary"});
  xs.push_back({"data is a non-empty string",
                record(u(1), i(1), i(0), u(1),
                       [](pk_t& pk) {
                         pk.pack_str(3);
                         pk.pack_str_body("abc", 3);
                       }),
                "data is not binary"});
  xs.push_back({"data is empty",
                record(u(1), i(1), i(0), u(1), [](pk_t& pk) { pk.pack_bin(0); }),
                "data is empty"});
  xs.push_back({"four elements", packed([](pk_t& pk) {
                  pk.pack_array(4);
                  pk.pack(uint64_t{1});
                  pk.pack(int64_t{1});
                  pk.pack(int64_t{0});
                  pk.pack(uint64_t{1});
                }),
                "array of 4 elements, expected 5"});
  xs.push_back({"six elements", packed([](pk_t& pk) {
                  pk.pack_array(6);
                  pk.pack(uint64_t{1});
                  pk.pack(int64_t{1});
                  pk.pack(int64_t{0});
                  pk.pack(uint64_t{1});
                  pk.pack_bin(1);
                  pk.pack_bin_body("x", 1);
                  pk.pack_nil();
                }),
                "array of 6 elements, expected 5"});
  return xs;
}

} // namespace

CAF_TEST(round trip keeps every field) {
  auto x = make_object("users/1", bytes{'{', '"', 'a', '"', ':', '1', '}'});
  auto y = decode_record("users/1", encode_record(x));
  CAF_REQUIRE(y);
  CAF_CHECK_EQUAL(y->created, x.created);
  CAF_CHECK_EQUAL(y->updated, x.updated);
  CAF_CHECK_EQUAL(y->revision, x.revision);
  CAF_CHECK_EQUAL(y->path, "users/1");
  CAF_CHECK(y->data == x.data);
  CAF_CHECK(*y == x);
  CAF_CHECK_EQUAL(y->index(), "1");
}

CAF_TEST(the path comes from the key not the value) {
  auto x = make_object("ignored/path", bytes{'v'});
  auto y = decode_record("rooms/7/topic", encode_record(x));
  CAF_REQUIRE(y);
  CAF_CHECK_EQUAL(y->path, "rooms/7/topic");
  CAF_CHECK_EQUAL(encode_record(x), encode_record(make_object("other", bytes{'v'})));
}

CAF_TEST(round trip of extreme field values) {
  object x;
  x.created = std::numeric_limits<int64_t>::min();
  x.updated = std::numeric_limits<int64_t>::max();
  x.revision = std::numeric_limits<uint64_t>::max();
  x.data = bytes{'\0'};
  auto y = decode_record("k", encode_record(x));
  CAF_REQUIRE(y);
  CAF_CHECK_EQUAL(y->created, x.created);
  CAF_CHECK_EQUAL(y->updated, x.updated);
  CAF_CHECK_EQUAL(y->revision, x.revision);
  CAF_CHECK(y->data == x.data);
}

CAF_TEST(round trip of binary data with zero bytes) {
  std::string raw(3, '\0');
  for (int i = 0; i < 256; ++i)
    raw.push_back(static_cast<char>(i));
  raw.push_back('\0');
  bytes data(raw.begin(), raw.end());
  auto x = make_object("bin/zeros", data);
  auto y = decode_record("bin/zeros", encode_record(x));
  CAF_REQUIRE(y);
  CAF_CHECK_EQUAL(y->data.size(), data.size());
  CAF_CHECK(y->data == data);
}

CAF_TEST(round trip of a 1 MiB value) {
  std::string raw(1024 * 1024, '\0');
  for (size_t i = 0; i < raw.size(); ++i)
    raw[i] = static_cast<char>((i * 131 + 7) % 251);
  bytes data(raw.begin(), raw.end());
  auto x = make_object("big/one", data);
  auto encoded = encode_record(x);
  CAF_CHECK_LESS(encoded.size(), data.size() + 64);
  auto y = decode_record("big/one", encoded);
  CAF_REQUIRE(y);
  CAF_CHECK(*y == x);
}

CAF_TEST(corrupt values give corrupt_record naming the key) {
  for (auto& c : corrupt_cases()) {
    CAF_MESSAGE("case: " << c.name);
    auto y = decode_record("users/1", c.value);
    CAF_REQUIRE(!y);
    auto text = render(y.error());
    CAF_CHECK(is(y.error(), errc::corrupt_record));
    CAF_CHECK(text.find("record 'users/1': ") != std::string::npos);
    if (text.find(c.what) == std::string::npos)
      CAF_FAIL("case '" << c.name << "': expected '" << c.what << "' in: " << text);
  }
}

CAF_TEST(the detail reports the format version exactly) {
  auto value = packed([](pk_t& pk) {
    pk.pack_array(5);
    pk.pack(uint64_t{7});
    pk.pack(int64_t{1});
    pk.pack(int64_t{0});
    pk.pack(uint64_t{1});
    pk.pack_bin(1);
    pk.pack_bin_body("x", 1);
  });
  auto y = decode_record("users/1", value);
  CAF_REQUIRE(!y);
  CAF_CHECK_EQUAL(render(y.error()),
                  "corrupt_record: record 'users/1': unknown format version 7");
}

CAF_TEST(every prefix of a record is rejected) {
  auto good = valid_record();
  for (size_t n = 0; n < good.size(); ++n) {
    auto y = decode_record("users/1", std::string_view{good}.substr(0, n));
    CAF_CHECK(!y && is(y.error(), errc::corrupt_record));
  }
}

CAF_TEST(random garbage never crashes) {
  uint64_t state = 88172645463325252ull;
  auto next = [&] {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return state;
  };
  auto good = valid_record();
  size_t accepted = 0;
  for (int round = 0; round < 20000; ++round) {
    std::string value;
    if (round % 2 == 0) {
      value.resize(next() % 24);
      for (auto& c : value)
        c = static_cast<char>(next());
    } else {
      value = good;
      value[next() % value.size()] = static_cast<char>(next());
    }
    auto y = decode_record("fuzz/1", value);
    if (y)
      ++accepted;
    else if (!is(y.error(), errc::corrupt_record))
      CAF_FAIL("unexpected error: " << render(y.error()));
  }
  CAF_MESSAGE(accepted << " of 20000 mutated values decoded");
}

CAF_TEST(odd keys are rendered printable) {
  auto y = decode_record(std::string_view{"\0bad\n", 5}, "");
  CAF_REQUIRE(!y);
  CAF_CHECK_EQUAL(render(y.error()), "corrupt_record: record '\\x00bad\\x0a': empty value");
  CAF_CHECK_EQUAL(printable_key("users/1"), "users/1");
}

CAF_TEST(metadata round trip) {
  for (uint64_t x : {uint64_t{0}, uint64_t{1}, uint64_t{1} << 40,
                     std::numeric_limits<uint64_t>::max()}) {
    auto y = decode_meta(encode_meta(x));
    CAF_REQUIRE(y);
    CAF_CHECK_EQUAL(*y, x);
  }
}

CAF_TEST(corrupt metadata gives corrupt_record) {
  auto v7 = packed([](pk_t& pk) {
    pk.pack_array(2);
    pk.pack(uint64_t{7});
    pk.pack(uint64_t{5});
  });
  auto y = decode_meta(v7);
  CAF_REQUIRE(!y);
  CAF_CHECK(is(y.error(), errc::corrupt_record));
  CAF_CHECK_EQUAL(render(y.error()), "corrupt_record: metadata record: unknown format version 7");
  auto good = encode_meta(9);
  std::vector<std::string> bad{
    "",
    good.substr(0, good.size() - 1),
    good + "x",
    std::string("\xdd\xff\xff\xff\xff", 5),
    valid_record(),
    packed([](pk_t& pk) {
      pk.pack_array(2);
      pk.pack(uint64_t{1});
      pk.pack(int64_t{-3});
    }),
  };
  for (auto& value : bad) {
    auto z = decode_meta(value);
    CAF_REQUIRE(!z);
    CAF_CHECK(is(z.error(), errc::corrupt_record));
    CAF_CHECK(render(z.error()).find("metadata record: ") != std::string::npos);
  }
}

CAF_TEST(history entries keep their unit) {
  change c;
  c.key = "users/1";
  c.put = true;
  c.value = make_object("users/1", bytes{'v'});
  auto ev = decode_history(42, encode_history(c, 45));
  CAF_REQUIRE(ev);
  CAF_CHECK_EQUAL(ev->revision, 42u);
  CAF_CHECK_EQUAL(ev->unit, 45u);
  CAF_CHECK_EQUAL(ev->key, "users/1");
  CAF_REQUIRE(ev->value);
  CAF_CHECK_EQUAL(ev->value->data, bytes{'v'});
}

CAF_TEST(history entries without a unit are their own unit) {
  // The six-element form written before units existed.
  auto old = packed([](pk_t& pk) {
    pk.pack_array(6);
    pk.pack(uint64_t{1});
    pk.pack(std::string{"users/1"});
    pk.pack(uint64_t{2}); // del
    pk.pack(int64_t{0});
    pk.pack(int64_t{0});
    pk.pack_bin(0);
  });
  auto ev = decode_history(7, old);
  CAF_REQUIRE(ev);
  CAF_CHECK_EQUAL(ev->unit, 7u);
  CAF_CHECK(ev->op == event_op::del);
  CAF_CHECK(!ev->value);
}

CAF_TEST(a history unit before its own revision is corrupt) {
  change c;
  c.key = "users/1";
  c.put = false;
  auto ev = decode_history(42, encode_history(c, 41));
  CAF_REQUIRE(!ev);
  CAF_CHECK(is(ev.error(), errc::corrupt_record));
  CAF_CHECK_EQUAL(render(ev.error()), "corrupt_record: history record 42: unit 41 lies before its revision");
}

// Fuzzes the on-disk record decoders (persistence/record_codec.hpp) with arbitrary bytes: they
// must never crash, throw or allocate much more than the input, and whatever decodes must
// survive encode -> decode unchanged.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "messages/errc.hpp"
#include "persistence/record_codec.hpp"
#include "tests/fuzz/fuzz_check.hpp"

using namespace ooo::storage;

namespace {

bool is_corrupt_record(const caf::error& err) {
  return err.category() == error_category
         && err.code() == static_cast<uint8_t>(errc::corrupt_record);
}

void check_record(std::string_view value) {
  constexpr std::string_view key = "fuzz/1";
  auto x = decode_record(key, value);
  if (!x) {
    FUZZ_CHECK(is_corrupt_record(x.error()));
    return;
  }
  FUZZ_CHECK(x->path == key);
  FUZZ_CHECK(!x->data.empty());
  FUZZ_CHECK(x->data.size() < value.size());
  auto y = decode_record(key, encode_record(*x));
  FUZZ_CHECK(y && *y == *x);
}

void check_meta(std::string_view value) {
  auto x = decode_meta(value);
  if (!x) {
    FUZZ_CHECK(is_corrupt_record(x.error()));
    return;
  }
  auto y = decode_meta(encode_meta(*x));
  FUZZ_CHECK(y && *y == *x);
}

void check_history(std::string_view value) {
  constexpr uint64_t revision = 7;
  auto x = decode_history(revision, value);
  if (!x) {
    FUZZ_CHECK(is_corrupt_record(x.error()));
    return;
  }
  FUZZ_CHECK(x->revision == revision);
  FUZZ_CHECK(x->unit >= revision);
  FUZZ_CHECK(check_key(x->key) == errc::none);
  FUZZ_CHECK((x->op == event_op::set) == static_cast<bool>(x->value));
  change c;
  c.key = x->key;
  c.put = x->op == event_op::set;
  if (x->value) {
    FUZZ_CHECK(x->value->path == x->key && x->value->revision == revision);
    FUZZ_CHECK(!x->value->data.empty());
    c.value = *x->value;
  }
  auto y = decode_history(revision, encode_history(c, x->unit));
  FUZZ_CHECK(y);
  FUZZ_CHECK(y->revision == x->revision && y->key == x->key && y->op == x->op
             && y->unit == x->unit);
  FUZZ_CHECK(static_cast<bool>(y->value) == static_cast<bool>(x->value));
  if (x->value)
    FUZZ_CHECK(*y->value == *x->value);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view value{reinterpret_cast<const char*>(data), size};
  check_record(value);
  check_meta(value);
  check_history(value);
  // A garbage key read from disk is rendered into the error detail.
  auto shown = printable_key(value);
  FUZZ_CHECK(shown.size() >= value.size() && shown.size() <= 4 * value.size());
  for (auto c : shown)
    FUZZ_CHECK(c >= 0x20 && c < 0x7f);
  return 0;
}

#pragma once

// Include after caf/test/dsl.hpp.

#include <utility>

#include "caf/expected.hpp"

#include "messages/errc.hpp"

namespace ooo::storage::test {

/// The value of `x` as a new object, for use inside CAF 0.17's check macros: they bind their
/// arguments with `auto&&`, so `*f()` or `f()->member` would refer into a temporary that is gone
/// by the time they compare (ASan: heap-use-after-free).
template <class T>
T value_of(caf::expected<T> x) {
  if (!x)
    CAF_FAIL("unexpected error: " << render(x.error()));
  return std::move(*x);
}

} // namespace ooo::storage::test

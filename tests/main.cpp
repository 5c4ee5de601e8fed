// The CAF test runner's main(); the suites live in unit/*.cpp.
#include "caf/test/unit_test_impl.hpp"

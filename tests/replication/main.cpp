// The CAF test runner's main() for the replication suites.
#include "caf/test/unit_test_impl.hpp"

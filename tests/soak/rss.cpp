#include "tests/soak/rss.hpp"

#include <algorithm>
#include <cstdio>
#include <sstream>

#include <unistd.h>

#include "tests/soak/failures.hpp"

namespace ooo::storage::soak {

size_t rss_bytes() {
  FILE* f = std::fopen("/proc/self/statm", "r");
  if (!f)
    return 0;
  unsigned long size = 0;
  unsigned long resident = 0;
  auto n = std::fscanf(f, "%lu %lu", &size, &resident);
  std::fclose(f);
  return n == 2 ? resident * static_cast<size_t>(sysconf(_SC_PAGESIZE)) : 0;
}

double mib(size_t x) {
  return static_cast<double>(x) / (1024.0 * 1024.0);
}

rss_monitor::rss_monitor(time_point warm_at) : warm_at_(warm_at), start_(rss_bytes()) {
  // nop
}

void rss_monitor::sample(time_point now, size_t log_bytes) {
  auto rss = rss_bytes();
  auto adjusted = rss > log_bytes ? rss - log_bytes : 0;
  max_ = std::max(max_, rss);
  max_adjusted_ = std::max(max_adjusted_, adjusted);
  if (warm_ == 0 && now >= warm_at_) {
    warm_ = adjusted;
    bound_ = 2 * warm_ + (size_t{64} << 20);
  }
  if (warm_ != 0 && adjusted > bound_ && !exceeded_) {
    exceeded_ = true;
    std::ostringstream out;
    out.precision(1);
    out << std::fixed << "RSS (minus the soak's logs) " << mib(adjusted)
        << " MiB exceeds the bound " << mib(bound_) << " MiB (2 x " << mib(warm_)
        << " MiB at 20% + 64 MiB)";
    failure_ = out.str();
  }
}

void rss_monitor::check() const {
  if (exceeded_)
    fail(failure_);
  if (warm_ == 0)
    fail("the run ended before the RSS warm-up sample (20% of the duration)");
}

} // namespace ooo::storage::soak

#include "bench/process_memory.hpp"

#include <fstream>
#include <stdexcept>
#include <string>

#include <malloc.h>
#include <unistd.h>

namespace ooo::storage::bench {

size_t rss_bytes(pid_t pid) {
  auto path = pid == 0 ? std::string{"/proc/self/statm"}
                       : "/proc/" + std::to_string(pid) + "/statm";
  std::ifstream in{path};
  size_t size = 0;
  size_t resident = 0;
  if (!(in >> size >> resident))
    throw std::runtime_error("cannot read " + path);
  return resident * static_cast<size_t>(::sysconf(_SC_PAGESIZE));
}

size_t heap_in_use_bytes() {
  auto info = ::mallinfo2();
  return info.uordblks + info.hblkhd;
}

} // namespace ooo::storage::bench

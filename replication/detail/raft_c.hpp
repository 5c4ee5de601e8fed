#pragma once

// libraft's headers declare C functions without `extern "C"` guards (0.15): include them only
// through this header. Private to replication/: the public headers never expose libraft.
extern "C" {
#include <raft.h>
#include <raft/uv.h>
}

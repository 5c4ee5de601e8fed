#pragma once

// What the checks share: the ops by id, and per key the versions the commit log gives it.
// Internal to the checker.

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "tests/model/checker.hpp"

namespace ooo::storage::model {

/// One value a key had: the initial one, then one per commit of the key.
struct version {
  /// The commit's revision (the initial version: the loaded object's revision, or 0).
  uint64_t revision = 0;
  bool exists = false;
  object obj;
  /// The op that wrote it (0: the initial version or a commit nobody claims).
  uint64_t writer = 0;
  /// When persistence accepted it (0: the initial version).
  uint64_t tick = 0;
  uint64_t unit = 0;
  bool visible = true;
};

struct key_versions {
  std::vector<version> versions;
  /// Revision -> index into `versions`.
  std::map<uint64_t, size_t> by_revision;

  /// The index of the newest version with a revision below `revision`.
  size_t before(uint64_t revision) const;
};

/// Where an op stands in one key's history.
struct position {
  uint64_t op = 0;
  std::string key;
  /// Index into the key's versions.
  size_t index = 0;
  /// The op wrote this version (else it read it).
  bool write = false;
};

/// A read whose version the answer does not pin down: the key was absent, present, or at some
/// revision other than an expected one, at some moment of the op.
struct vague_read {
  uint64_t op = 0;
  std::string key;
  enum { absent, present, not_revision } what = absent;
  uint64_t revision = 0;
};

class check_context {
public:
  explicit check_context(const check_input& in);

  const check_input& in;
  std::vector<violation> found;

  /// Every key the history mentions, with its versions.
  std::map<std::string, key_versions> keys;

  /// Definite positions (writes and reads that name their version), in op order.
  std::vector<position> positions;
  std::vector<vague_read> vague;

  /// Glob deletes and clears by op id: the revisions of their unit (first, last), empty if
  /// they deleted nothing.
  std::map<uint64_t, std::pair<uint64_t, uint64_t>> glob_units;

  const op& get(uint64_t id) const {
    return in.ops[id - 1];
  }

  void report(std::string rule, std::string detail, std::string key,
              std::vector<uint64_t> ops);

  // -- the checks, one file each ---------------------------------------------------------------

  /// check_commits.cpp: the commit log, attribution of every commit to its op, glob atomicity.
  void check_commits();

  /// check_keys.cpp: per-key linearizability.
  void check_keys();
  void check_vague_reads();

  /// check_clients.cpp: client order, locks, answers and their errors.
  void check_clients();

  /// check_events.cpp: what each subscription received.
  void check_events();

private:
  void build_versions();
  void attribute_puts();
  void attribute_deletes();
  void replay_globs();
  void collect_reads();
};

/// True if the patterns (or keys) `x` and `y` can match a common key ("" matches everything).
bool overlaps(const std::string& x, const std::string& y);

/// True if `pattern` ("" = everything) matches `key`.
bool covers(const std::string& pattern, const std::string& key);

} // namespace ooo::storage::model

#pragma once

#include <cstdint>
#include <string>

namespace ooo::storage::cli {

/// Everything the command line said, after parsing.
struct command_line {
  /// `set`, `push`, `get`, `list`, `keys`, `del`, `watch`, `stats`, `member` or `transfer`.
  std::string command;
  /// `HOST:PORT`, or a comma list of them (the nodes of a replicated group).
  std::string node;
  /// Seconds every request may take.
  double timeout = 5.0;
  /// `--tls-cert`, `--tls-key`, `--tls-ca` (or `$OOO_STORAGE_TLS_CERT`, ...): mutual TLS when
  /// set, plain TCP when empty.
  std::string tls_cert;
  std::string tls_key;
  std::string tls_ca;
  /// KEY or PATTERN.
  std::string key;
  /// DATA; `-` reads standard input.
  std::string data;
  /// `set --if-revision`: -1 unconditional, 0 must not exist, else the expected revision.
  int64_t if_revision = -1;
  /// `get --raw`.
  bool raw = false;
  /// `list` options.
  int64_t limit = 0;
  int64_t offset = 0;
  bool ascending = false;
  int64_t from = 0;
  int64_t to = 0;
  /// `import`: operations per batch.
  size_t batch_size = 1000;
  /// `watch` options: 0 events means no limit; `since` is set when `has_since`.
  uint64_t count = 0;
  bool has_since = false;
  uint64_t since = 0;
  /// `member list|add|remove`, `transfer`: the member's id (`transfer`: 0 picks the most
  /// up-to-date voter) and Raft address `HOST:PORT`.
  std::string member_action;
  uint64_t member_id = 0;
  std::string member_address;
};

} // namespace ooo::storage::cli

#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "messages/errc.hpp"

namespace ooo::storage {

/// Keys longer than this are `invalid_path`.
constexpr size_t max_key_size = 1024;

/// Checks an exact key: `[A-Za-z0-9]` at both ends, `[A-Za-z0-9/_.-]` inside, no `//`, at most
/// `max_key_size` bytes. Returns `glob_not_allowed` for a well-formed pattern, `invalid_path`
/// for anything else that is not a key, `none` for a key.
errc check_key(std::string_view key);

/// Checks a pattern: a key whose segments may be `*` (a whole segment, never part of one).
/// A plain key is a valid pattern too. Returns `none` or `invalid_path`.
errc check_pattern(std::string_view pattern);

/// True if `pattern` has at least one `*` segment. Assumes a valid pattern.
bool is_glob(std::string_view pattern);

/// True if `key` matches `pattern`: same number of segments, each `*` matches exactly one
/// whole segment, every other segment is equal.
bool matches(std::string_view pattern, std::string_view key);

/// The last segment of a key (the seed's `index`): `users/123` -> `123`.
std::string_view last_segment(std::string_view key);

/// Everything before the last `/`, or empty for a one-segment key: `users/123` -> `users`.
std::string_view parent_of(std::string_view key);

/// Checks a `push` pattern: valid, ends in `/*`, no other `*`. Returns `glob_required` for a
/// plain key, `glob_not_allowed` for other `*` segments, `invalid_path` for malformed input.
errc check_push_pattern(std::string_view pattern);

/// Builds the key `push` creates under `pattern` (`users/*`): the prefix plus the timestamp as
/// 16 lower-case hex digits, so keys sort by creation time as strings do.
std::string push_key(std::string_view pattern, int64_t timestamp);

/// The shard that owns `key` among `shard_count`: FNV-1a of the key, modulo the count.
size_t shard_of(std::string_view key, size_t shard_count);

/// Returns the key rules as one sentence, for error details and `--help`.
const char* key_rules();

} // namespace ooo::storage

#pragma once

#include <cstdint>
#include <string>

#include "caf/atom.hpp"
#include "caf/error.hpp"
#include "caf/make_message.hpp"

namespace ooo::storage {

/// Every way an operation of the store can fail, in one list: name, number, meaning. The
/// numbers cross the wire (an error is its category and number), so an entry keeps its number
/// forever and new entries go at the end.
#define OOO_STORAGE_ERRC(X)                                                                   \
  X(none, 0, "not an error")                                                                  \
  X(not_found, 1, "the key does not exist")                                                   \
  X(invalid_path, 2, "the key or pattern breaks the key rules (characters, //, length, empty)") \
  X(glob_not_allowed, 3, "a pattern (* segment) was given where only an exact key is allowed") \
  X(glob_required, 4, "an exact key was given where a pattern is required")                   \
  X(invalid_data, 5, "the value is empty")                                                    \
  X(invalid_range, 6, "a created-range whose start lies after its end")                       \
  X(invalid_limit, 7, "a negative or otherwise unusable offset or limit")                     \
  X(cant_lock_glob, 8, "locks are per key: a pattern cannot be locked")                       \
  X(lock_not_found, 9, "unlock or a write with a token that does not hold the key's lock")    \
  X(not_active, 10, "the store is closed or not started yet")                                 \
  X(persistence_failed, 11, "the persistence layer refused or failed the write")              \
  X(corrupt_record, 12, "a record on disk does not decode (the detail names the key)")        \
  X(too_large, 13, "the value is larger than the configured maximum")                         \
  X(conflict, 14, "compare-and-set lost: the key's revision is not the expected one")         \
  X(compacted, 15, "the requested revision is older than the retained history")               \
  X(limit_exceeded, 16, "a configured limit (subscribers, lock waiters, list size) is reached") \
  X(hook_failed, 17, "a user hook (before_read) threw: the operation did not run")        \
  X(not_leader, 18, "a follower of a replicated group: nothing was done; the detail is the "  \
                    "leader's HOST:PORT (empty while unknown)")                               \
  X(leadership_lost, 19, "the leader changed before the write was known to commit: it may "   \
                         "or may not take effect")                                            \
  X(unavailable, 20, "the group cannot serve this now (electing, no majority, a new leader "  \
                     "catching up): nothing was done, retry shortly")

/// Every way an operation of the store can fail (see `OOO_STORAGE_ERRC`). Registered as the
/// CAF error category `error_category` so that errors cross nodes and render by name.
enum class errc : uint8_t {
#define OOO_STORAGE_ERRC_ENUM(name, number, text) name = number,
  OOO_STORAGE_ERRC(OOO_STORAGE_ERRC_ENUM)
#undef OOO_STORAGE_ERRC_ENUM
};

/// The atom under which `errc` is registered as an error category.
constexpr caf::atom_value error_category = caf::atom("ooo");

/// Returns the enumerator's name, e.g. `not_found`.
const char* to_string(errc x);

/// Returns what the code means, e.g. `the key does not exist`.
const char* describe(errc x);

/// Parses a name produced by `to_string`; returns false for unknown names.
bool from_string(const std::string& name, errc& x);

/// Builds an error of our category; `detail` names what was wrong (usually the key).
caf::error make_error(errc x, std::string detail);

/// Builds an error without detail.
caf::error make_error(errc x);

/// True if `err` belongs to our category and carries `x` (false for an empty error: CAF 0.17
/// must not be asked for the category of one).
inline bool is(const caf::error& err, errc x) {
  return err && err.category() == error_category && err.code() == static_cast<uint8_t>(x);
}

/// Renders an error of our category as `name: detail`; other categories as CAF does.
std::string render(const caf::error& err);

/// Renders code and context of an error of our category (the registered renderer).
std::string render(uint8_t code, const caf::message& context);

} // namespace ooo::storage

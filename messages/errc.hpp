#pragma once

#include <cstdint>
#include <string>

#include "caf/atom.hpp"
#include "caf/error.hpp"
#include "caf/make_message.hpp"

namespace ooo::storage {

/// Every way an operation of the store can fail. Registered as the CAF error category
/// `error_category` so that errors cross nodes and render by name (`not_found`, ...).
enum class errc : uint8_t {
  /// Not an error.
  none = 0,
  /// The key does not exist.
  not_found,
  /// The key or pattern breaks the key rules (characters, `//`, length, empty).
  invalid_path,
  /// A pattern (`*` segment) was given where only an exact key is allowed.
  glob_not_allowed,
  /// An exact key was given where a pattern is required (`push` needs one ending in `/*`).
  glob_required,
  /// The value is empty.
  invalid_data,
  /// A created-range whose start lies after its end.
  invalid_range,
  /// A negative or otherwise unusable offset/limit.
  invalid_limit,
  /// Locks are per key: a pattern cannot be locked.
  cant_lock_glob,
  /// Unlock or set_and_unlock with a token that does not hold the key's lock.
  lock_not_found,
  /// The store is closed or not started yet.
  not_active,
  /// The persistence layer refused or failed the write; memory is unchanged.
  persistence_failed,
  /// A record on disk does not decode (the context names the key).
  corrupt_record,
  /// The value is larger than the configured maximum.
  too_large,
  /// Compare-and-set lost: the key's revision is not the expected one.
  conflict,
  /// The requested revision is older than the retained history.
  compacted,
  /// A configured limit (subscribers, lock waiters) is reached.
  limit_exceeded,
};

/// The atom under which `errc` is registered as an error category.
constexpr caf::atom_value error_category = caf::atom("ooo");

/// Returns the enumerator's name, e.g. `not_found`.
const char* to_string(errc x);

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

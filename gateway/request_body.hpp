#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "messages/object.hpp"

namespace ooo::storage::gateway {

/// REST bodies larger than this are refused with 413 (ooo's default, 10 MiB).
inline constexpr size_t max_body_size = 10u << 20;

/// What a body check gives: the value to store, or why there is none.
struct checked_body {
  /// Set when the body is usable.
  std::optional<bytes> value;
  /// Otherwise: what is wrong, for the 400 answer.
  std::string error;
};

/// A POST body: exactly one JSON value (any type, as in ooo), stored as the client sent it
/// minus surrounding whitespace, so that numbers keep every digit.
checked_body check_json_body(std::string_view body);

/// A PATCH: applies `patch` (one JSON value) to the stored `current` value as an RFC 7396 merge
/// patch. Fails if either is not JSON.
checked_body merge_json(const bytes& current, std::string_view patch);

} // namespace ooo::storage::gateway

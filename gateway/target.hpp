#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ooo::storage::gateway {

/// A request target split into its decoded path and query parameters. Boost 1.74 has no URL
/// parser (Boost.URL came with 1.81), and this needs only `%XX` and `+`.
struct target {
  /// Decoded, with its leading `/`.
  std::string path;
  std::vector<std::pair<std::string, std::string>> query;

  /// The first value of a query parameter.
  std::optional<std::string> param(std::string_view name) const;
};

/// Splits and decodes; nothing for a target that is not an origin-form path or holds a bad
/// `%` escape.
std::optional<target> parse_target(std::string_view raw);

} // namespace ooo::storage::gateway

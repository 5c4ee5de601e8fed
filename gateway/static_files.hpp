#pragma once

#include <string>
#include <string_view>

#include "gateway/http_types.hpp"

namespace ooo::storage::gateway {

/// The URL prefix of static files. Keys start with a letter or digit, so no key is shadowed.
inline constexpr std::string_view static_prefix = "/_static/";

/// Serves the regular files below one directory, read-only (the example page and the scripts
/// it loads). No listings; names with a segment starting with `.` (so no `..`) are refused,
/// and a file whose real path leaves the directory (a symbolic link) is not served.
class static_files {
public:
  /// `dir` empty: nothing is served.
  explicit static_files(std::string dir);

  bool enabled() const {
    return !root_.empty();
  }

  /// Answers `relative` (the path after `static_prefix`, decoded): the file, or 404.
  http_response serve(std::string_view relative) const;

private:
  /// The directory's real path, ending in `/`.
  std::string root_;
};

/// The `Content-Type` for a file name, by its extension.
std::string content_type_of(std::string_view name);

} // namespace ooo::storage::gateway

#include "gateway/static_files.hpp"

#include <climits>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <sys/stat.h>

namespace ooo::storage::gateway {

namespace {

/// Pages and scripts, not downloads: anything larger is not served.
constexpr long long max_file_size = 16ll << 20;

bool ends_with(std::string_view x, std::string_view suffix) {
  return x.size() >= suffix.size() && x.substr(x.size() - suffix.size()) == suffix;
}

std::string real_path(const std::string& path) {
  char buf[PATH_MAX];
  if (::realpath(path.c_str(), buf) == nullptr)
    return {};
  return buf;
}

} // namespace

std::string content_type_of(std::string_view name) {
  if (ends_with(name, ".html") || ends_with(name, ".htm"))
    return "text/html; charset=utf-8";
  if (ends_with(name, ".js") || ends_with(name, ".mjs"))
    return "text/javascript; charset=utf-8";
  if (ends_with(name, ".css"))
    return "text/css; charset=utf-8";
  if (ends_with(name, ".json") || ends_with(name, ".map"))
    return "application/json";
  if (ends_with(name, ".png"))
    return "image/png";
  if (ends_with(name, ".svg"))
    return "image/svg+xml";
  if (ends_with(name, ".ico"))
    return "image/x-icon";
  if (ends_with(name, ".txt") || ends_with(name, ".md"))
    return "text/plain; charset=utf-8";
  return "application/octet-stream";
}

static_files::static_files(std::string dir) {
  if (dir.empty())
    return;
  root_ = real_path(dir);
  if (!root_.empty() && root_.back() != '/')
    root_ += '/';
}

http_response static_files::serve(std::string_view relative) const {
  auto not_found = [] { return text_answer(404, "404 page not found"); };
  if (root_.empty() || relative.empty())
    return not_found();
  // No hidden names, no way up.
  for (size_t pos = 0; pos <= relative.size();) {
    auto slash = relative.find('/', pos);
    auto segment = relative.substr(pos, slash == std::string_view::npos ? std::string_view::npos
                                                                        : slash - pos);
    if (segment.empty() || segment.front() == '.')
      return not_found();
    if (slash == std::string_view::npos)
      break;
    pos = slash + 1;
  }
  if (relative.find('\0') != std::string_view::npos)
    return not_found();
  auto path = real_path(root_ + std::string{relative});
  if (path.empty() || path.compare(0, root_.size(), root_) != 0)
    return not_found();
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > max_file_size)
    return not_found();
  std::ifstream in{path, std::ios::binary};
  if (!in)
    return not_found();
  std::ostringstream content;
  content << in.rdbuf();
  http_response res;
  res.status = 200;
  res.content_type = content_type_of(path);
  res.body = content.str();
  res.headers.emplace_back("Cache-Control", "no-cache");
  return res;
}

} // namespace ooo::storage::gateway

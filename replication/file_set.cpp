#include "replication/file_set.hpp"

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <vector>

#include "replication/errc.hpp"

namespace fs = std::filesystem;

namespace ooo::storage::replication {

namespace {

/// "ooofiles" and the format version.
constexpr char file_set_tag[8] = {'o', 'o', 'o', 'f', 'i', 'l', 'e', 1};

/// Bounds what a list may claim before anything is allocated for it.
constexpr uint32_t max_files = 1'000'000;
constexpr uint32_t max_path = 4096;

struct listed_file {
  std::string path;
  uint64_t size = 0;
};

void put(bytes& out, uint64_t x, size_t width) {
  for (size_t i = 0; i < width; ++i)
    out.push_back(static_cast<char>((x >> (8 * i)) & 0xff));
}

bool get(const bytes& in, size_t& pos, size_t width, uint64_t& x) {
  if (in.size() - pos < width)
    return false;
  x = 0;
  for (size_t i = 0; i < width; ++i)
    x |= uint64_t{static_cast<unsigned char>(in[pos + i])} << (8 * i);
  pos += width;
  return true;
}

caf::error failed(std::string what) {
  return make_error(errc::snapshot_failed, std::move(what));
}

/// A relative path that stays inside the directory it is joined to.
bool is_contained(const std::string& path) {
  if (path.empty() || path.front() == '/')
    return false;
  for (auto& part : fs::path{path})
    if (part == ".." || part == "." || part.empty())
      return false;
  return true;
}

} // namespace

caf::expected<snapshot_image> pack_files(const std::string& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec))
    return failed("'" + dir + "' is not a directory");
  std::vector<fs::path> files;
  for (auto i = fs::recursive_directory_iterator{dir, ec}; !ec && i != fs::end(i);
       i.increment(ec))
    if (i->is_regular_file(ec))
      files.push_back(i->path());
  if (ec)
    return failed("cannot list '" + dir + "': " + ec.message());
  std::sort(files.begin(), files.end());
  snapshot_image image;
  bytes list(file_set_tag, file_set_tag + sizeof(file_set_tag));
  put(list, files.size(), 4);
  image.chunks.emplace_back();
  for (auto& file : files) {
    auto relative = fs::relative(file, dir, ec).generic_string();
    std::ifstream in{file, std::ios::binary};
    if (ec || !in.is_open())
      return failed("cannot read '" + file.string() + "'");
    bytes content{std::istreambuf_iterator<char>{in}, std::istreambuf_iterator<char>{}};
    if (in.bad())
      return failed("cannot read '" + file.string() + "'");
    put(list, relative.size(), 4);
    list.insert(list.end(), relative.begin(), relative.end());
    put(list, content.size(), 8);
    image.chunks.push_back(std::move(content));
  }
  image.chunks.front() = std::move(list);
  return image;
}

caf::error unpack_files(const bytes& image, const std::string& dir) {
  size_t pos = 0;
  if (image.size() < sizeof(file_set_tag)
      || std::memcmp(image.data(), file_set_tag, sizeof(file_set_tag)) != 0)
    return failed("the image does not start with a file list of this format");
  pos = sizeof(file_set_tag);
  uint64_t count = 0;
  if (!get(image, pos, 4, count) || count > max_files)
    return failed("the file list's count is missing or too large");
  // Read and check the whole list first: nothing is written for an image that is not one.
  std::vector<listed_file> listed;
  uint64_t total = 0;
  for (uint64_t i = 0; i < count; ++i) {
    uint64_t length = 0;
    if (!get(image, pos, 4, length) || length > max_path || image.size() - pos < length)
      return failed("the file list is truncated at entry " + std::to_string(i));
    listed_file f;
    f.path.assign(image.data() + pos, length);
    pos += length;
    if (!get(image, pos, 8, f.size))
      return failed("the file list is truncated at entry " + std::to_string(i));
    if (!is_contained(f.path))
      return failed("the file list names '" + f.path + "', which leaves the directory");
    total += f.size;
    listed.push_back(std::move(f));
  }
  if (total != image.size() - pos)
    return failed("the files' sizes add up to " + std::to_string(total) + " bytes, the image "
                  + "holds " + std::to_string(image.size() - pos));
  std::error_code ec;
  if (fs::exists(dir, ec) && !fs::is_empty(dir, ec))
    return failed("'" + dir + "' is not empty");
  fs::create_directories(dir, ec);
  if (ec)
    return failed("cannot create '" + dir + "': " + ec.message());
  for (auto& f : listed) {
    auto target = fs::path{dir} / f.path;
    fs::create_directories(target.parent_path(), ec);
    std::ofstream out{target, std::ios::binary | std::ios::trunc};
    out.write(image.data() + pos, static_cast<std::streamsize>(f.size));
    out.close();
    if (ec || !out)
      return failed("cannot write '" + target.string() + "'");
    pos += f.size;
  }
  return caf::error{};
}

} // namespace ooo::storage::replication

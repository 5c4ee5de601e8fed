// pack_files / unpack_files: a directory (a RocksDB checkpoint, say) as a snapshot image.

#define CAF_SUITE file_set
#include "caf/test/dsl.hpp"

#include <filesystem>
#include <fstream>
#include <map>
#include <string>

#include "replication/errc.hpp"
#include "replication/file_set.hpp"
#include "tests/replication/loopback.hpp"

using namespace ooo::storage::replication;
using namespace ooo::storage::replication::test;
namespace fs = std::filesystem;

namespace {

void write_file(const fs::path& path, const std::string& content) {
  fs::create_directories(path.parent_path());
  std::ofstream out{path, std::ios::binary};
  out << content;
}

std::map<std::string, std::string> read_tree(const fs::path& dir) {
  std::map<std::string, std::string> out;
  for (auto& entry : fs::recursive_directory_iterator{dir})
    if (entry.is_regular_file()) {
      std::ifstream in{entry.path(), std::ios::binary};
      out[fs::relative(entry.path(), dir).generic_string()]
        = std::string{std::istreambuf_iterator<char>{in}, std::istreambuf_iterator<char>{}};
    }
  return out;
}

bytes concatenate(const snapshot_image& image) {
  bytes out;
  for (auto& chunk : image.chunks)
    out.insert(out.end(), chunk.begin(), chunk.end());
  return out;
}

bool fails_with(const caf::error& err, const std::string& part) {
  if (!is(err, errc::snapshot_failed) || render(err).find(part) == std::string::npos) {
    CAF_MESSAGE("expected snapshot_failed with '" << part << "', got " << render(err));
    return false;
  }
  return true;
}

/// An image of one file named `path` holding `content`, built by hand.
bytes forged(const std::string& path, const std::string& content, uint64_t claimed_size) {
  bytes out{'o', 'o', 'o', 'f', 'i', 'l', 'e', 1, 1, 0, 0, 0};
  for (int i = 0; i < 4; ++i)
    out.push_back(static_cast<char>((path.size() >> (8 * i)) & 0xff));
  out.insert(out.end(), path.begin(), path.end());
  for (int i = 0; i < 8; ++i)
    out.push_back(static_cast<char>((claimed_size >> (8 * i)) & 0xff));
  out.insert(out.end(), content.begin(), content.end());
  return out;
}

} // namespace

CAF_TEST(a directory survives packing and unpacking) {
  scratch_dir dir;
  fs::path source = dir.sub("source");
  write_file(source / "CURRENT", "MANIFEST-000005\n");
  write_file(source / "000004.sst", std::string(100000, 'x') + std::string(1, '\0') + "end");
  write_file(source / "sub/nested/empty", "");
  auto image = pack_files(source.string());
  CAF_REQUIRE(image);
  // One list chunk, then one chunk per file.
  CAF_CHECK_EQUAL(image->chunks.size(), 4u);
  auto target = dir.sub("target");
  CAF_REQUIRE_EQUAL(render(unpack_files(concatenate(*image), target)), "none");
  CAF_CHECK_EQUAL(read_tree(target), read_tree(source));
  // An empty directory packs too.
  fs::create_directories(dir.sub("nothing"));
  auto empty = pack_files(dir.sub("nothing"));
  CAF_REQUIRE(empty);
  CAF_CHECK_EQUAL(render(unpack_files(concatenate(*empty), dir.sub("nothing-back"))), "none");
  CAF_CHECK(fs::is_empty(dir.sub("nothing-back")));
}

CAF_TEST(packing names what it cannot read) {
  scratch_dir dir;
  CAF_CHECK(fails_with(pack_files(dir.sub("missing")).error(), "is not a directory"));
}

CAF_TEST(unpacking refuses what is not an image and writes nothing) {
  scratch_dir dir;
  auto target = dir.sub("target");
  CAF_CHECK(fails_with(unpack_files(bytes{'n', 'o', 'p', 'e'}, target), "does not start"));
  // The hand-built format is the real one: a well-formed image unpacks.
  CAF_CHECK_EQUAL(render(unpack_files(forged("a", "abc", 3), dir.sub("ok"))), "none");
  CAF_CHECK(fails_with(unpack_files(forged("../escape", "abc", 3), target),
                       "'../escape', which leaves the directory"));
  CAF_CHECK(fails_with(unpack_files(forged("/etc/passwd", "abc", 3), target),
                       "leaves the directory"));
  CAF_CHECK(fails_with(unpack_files(forged("a/../../b", "abc", 3), target),
                       "leaves the directory"));
  CAF_CHECK(fails_with(unpack_files(forged("a", "abc", 4), target), "add up to 4 bytes"));
  CAF_CHECK(fails_with(unpack_files(forged("a", "abc", 2), target), "add up to 2 bytes"));
  auto truncated = forged("a", "abc", 3);
  truncated.resize(14);
  CAF_CHECK(fails_with(unpack_files(truncated, target), "truncated"));
  CAF_CHECK(!fs::exists(fs::path{target} / "a"));
  // A proper image, but the target holds something already.
  write_file(fs::path{dir.sub("busy")} / "x", "1");
  CAF_CHECK(fails_with(unpack_files(forged("a", "abc", 3), dir.sub("busy")), "is not empty"));
}

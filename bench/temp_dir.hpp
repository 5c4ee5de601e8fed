#pragma once

// A temporary directory for one part of a run (RocksDB directories, server logs).

#include <cstdlib>
#include <filesystem>
#include <stdexcept>
#include <string>

namespace ooo::storage::bench {

/// A fresh directory under `parent`, removed with everything in it when this goes.
class temp_dir {
public:
  explicit temp_dir(const std::string& parent) {
    auto pattern = (std::filesystem::path{parent} / "ooo-bench-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr)
      throw std::runtime_error("cannot create a temporary directory under " + parent);
    path_ = pattern;
  }

  ~temp_dir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }

  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;

  std::string path() const {
    return path_.string();
  }

  std::string sub(const std::string& name) const {
    return (path_ / name).string();
  }

private:
  std::filesystem::path path_;
};

} // namespace ooo::storage::bench

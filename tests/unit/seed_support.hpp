#pragma once

// Shared by the seed_* suites, which port the seed's own conformance tests (its storage test
// suite, the storage package's tests and its hook tests) to the blocking facade `layered`.
// Include after `caf/test/dsl.hpp`.

#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "actors/layered.hpp"
#include "messages/errc.hpp"
#include "persistence/rocksdb_adapter.hpp"

namespace ooo::storage::seed {

using strings = std::vector<std::string>;

/// A JSON document of some size and nesting, with non-ASCII text, standing in for the seed's
/// test document: values are opaque bytes and must come back byte for byte.
inline const std::string document = R"({
  "statuses": [
    {"id": 250075927172759552, "text": "Aggressive Ponytail #freebandnames",
     "entities": {"hashtags": [{"text": "freebandnames", "indices": [20, 34]}], "urls": []},
     "user": {"name": "Sean Cummings", "location": "LA, CA", "followers_count": 70,
              "profile_background_tile": false, "url": null}},
    {"id": 249292149810667520, "text": "Thee Namaste Nerdz. #FreeBandNames",
     "entities": {"hashtags": [{"text": "FreeBandNames", "indices": [20, 34]}], "urls": []},
     "user": {"name": "Chaz Martenstein", "location": "Durham, NC", "followers_count": 2052,
              "profile_background_tile": true, "url": "http://bullcityrecords.com/wnng/"}}
  ],
  "search_metadata": {"count": 2, "completed_in": 0.035, "something": "something 🧰"}
})";

/// The same document with one field changed, standing in for the seed's update.
inline const std::string document_update = [] {
  auto doc = document;
  const std::string from = "\"something 🧰\"";
  doc.replace(doc.find(from), from.size(), "\"something else 🧰\"");
  return doc;
}();

inline std::string text(const object& obj) {
  return std::string(obj.data.begin(), obj.data.end());
}

/// The value of a read, or `<error>` naming the error.
inline std::string text(const caf::expected<object>& x) {
  return x ? text(*x) : "<" + render(x.error()) + ">";
}

inline bool failed_with(const caf::error& err, errc code) {
  if (is(err, code))
    return true;
  CAF_MESSAGE("expected " << to_string(code) << ", got " << (err ? render(err) : "no error"));
  return false;
}

/// True if `x` failed with `code`; says what it got instead otherwise.
template <class T>
bool failed_with(const caf::expected<T>& x, errc code) {
  if (x) {
    CAF_MESSAGE("expected " << to_string(code) << ", got a value");
    return false;
  }
  return failed_with(x.error(), code);
}

/// An answer as text, or `<error>` naming the error, so that a failed comparison shows both.
inline std::string shown(const caf::expected<std::string>& x) {
  return x ? *x : "<" + render(x.error()) + ">";
}

inline std::string shown(const caf::expected<uint64_t>& x) {
  return x ? std::to_string(*x) : "<" + render(x.error()) + ">";
}

inline strings shown(const caf::expected<strings>& x) {
  return x ? *x : strings{"<" + render(x.error()) + ">"};
}

/// The paths of a list answer, or `<error>` naming the error.
inline strings paths(const caf::expected<std::vector<object>>& xs) {
  if (!xs)
    return strings{"<" + render(xs.error()) + ">"};
  strings result;
  for (auto& x : *xs)
    result.push_back(x.path);
  return result;
}

/// The `created` times of a list answer (empty on an error, which `paths` would show).
inline std::vector<int64_t> created_times(const caf::expected<std::vector<object>>& xs) {
  std::vector<int64_t> result;
  if (xs)
    for (auto& x : *xs)
      result.push_back(x.created);
  return result;
}

/// Options with a fixed shard count, so that a suite does not depend on the machine.
inline options with_shards(size_t n, options opts = {}) {
  opts.shards = n;
  return opts;
}

/// A memory-only facade with 4 shards; started.
inline std::unique_ptr<layered> memory_store(options opts = {}) {
  if (opts.shards == 0)
    opts.shards = 4;
  auto store = std::make_unique<layered>(layered_config{}, std::move(opts));
  CAF_REQUIRE(store->start());
  return store;
}

/// A fresh directory under the system's temporary directory, removed with everything in it
/// when the test ends.
struct temp_dir {
  std::string path;

  temp_dir() {
    auto tmpl = (std::filesystem::temp_directory_path() / "ooo-seed-XXXXXX").string();
    if (mkdtemp(tmpl.data()) == nullptr)
      CAF_FAIL("cannot create a temporary directory from " << tmpl);
    path = tmpl;
  }

  ~temp_dir() {
    std::error_code ignored;
    std::filesystem::remove_all(path, ignored);
  }

  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;
};

/// A facade on RocksDB in `dir` (synced writes, 4 shards unless `opts` says otherwise); not
/// started.
inline std::unique_ptr<layered> disk_store(const std::string& dir, options opts = {}) {
  auto adapter = rocksdb_adapter::open(dir, durability::sync);
  if (!adapter)
    CAF_FAIL("cannot open RocksDB in " << dir << ": " << render(adapter.error()));
  layered_config cfg;
  cfg.persistent = std::move(*adapter);
  cfg.mode = durability::sync;
  if (opts.shards == 0)
    opts.shards = 4;
  return std::make_unique<layered>(std::move(cfg), std::move(opts));
}

/// What RocksDB in `dir` holds, read with an adapter of its own (no store must have the
/// directory open).
inline std::map<std::string, object> records_in(const std::string& dir) {
  auto adapter = rocksdb_adapter::open(dir, durability::sync);
  if (!adapter)
    CAF_FAIL("cannot open RocksDB in " << dir << ": " << render(adapter.error()));
  std::map<std::string, object> result;
  uint64_t last_revision = 0;
  auto err = (*adapter)->load([&](object&& obj) { result.emplace(obj.path, std::move(obj)); },
                              last_revision);
  if (err)
    CAF_FAIL("cannot load " << dir << ": " << render(err));
  return result;
}

/// What a hook was called with, in call order. Thread-safe: shards call hooks concurrently.
class call_log {
public:
  void add(std::string x) {
    std::lock_guard<std::mutex> guard{mtx_};
    calls_.push_back(std::move(x));
  }

  strings calls() const {
    std::lock_guard<std::mutex> guard{mtx_};
    return calls_;
  }

  /// Returns what was logged and starts over.
  strings take() {
    std::lock_guard<std::mutex> guard{mtx_};
    auto result = std::move(calls_);
    calls_.clear();
    return result;
  }

  size_t size() const {
    std::lock_guard<std::mutex> guard{mtx_};
    return calls_.size();
  }

private:
  mutable std::mutex mtx_;
  strings calls_;
};

/// Polls `cond` every few milliseconds for up to `timeout` (generous: the machine is shared).
template <class F>
bool eventually(F cond, std::chrono::milliseconds timeout = std::chrono::seconds{10}) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!cond()) {
    if (std::chrono::steady_clock::now() > deadline)
      return false;
    std::this_thread::sleep_for(std::chrono::milliseconds{2});
  }
  return true;
}

/// A gate a hook or callback can wait at until the test opens it; `wait` also reports that
/// someone arrived. Opening twice is harmless.
class gate {
public:
  /// Blocks until `open` (at most a minute, so that a failing test cannot hang the suite).
  void wait() {
    std::unique_lock<std::mutex> guard{mtx_};
    ++arrived_;
    cv_.notify_all();
    cv_.wait_for(guard, std::chrono::minutes{1}, [this] { return open_; });
  }

  void open() {
    std::lock_guard<std::mutex> guard{mtx_};
    open_ = true;
    cv_.notify_all();
  }

  /// Waits until someone waits at the gate; false after `timeout`.
  bool wait_for_arrival(std::chrono::milliseconds timeout = std::chrono::seconds{10}) {
    std::unique_lock<std::mutex> guard{mtx_};
    return cv_.wait_for(guard, timeout, [this] { return arrived_ > 0; });
  }

private:
  std::mutex mtx_;
  std::condition_variable cv_;
  bool open_ = false;
  size_t arrived_ = 0;
};

} // namespace ooo::storage::seed

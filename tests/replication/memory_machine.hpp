#pragma once

// A state machine for the replication suites: it records every applied entry (index and
// payload) in order, and follows the contract of `state_machine` to the letter (idempotent by
// index, snapshots cover at least the requested index). Thread-safe: `snapshot` runs on a
// worker thread while `apply` runs on the loop thread, and the tests read it from theirs.

#include <cstdint>
#include <algorithm>
#include <cstring>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "replication/errc.hpp"
#include "replication/state_machine.hpp"

namespace ooo::storage::replication::test {

/// One applied entry as the machine saw it.
struct applied_record {
  uint64_t index = 0;
  std::string payload;

  friend bool operator==(const applied_record& x, const applied_record& y) {
    return x.index == y.index && x.payload == y.payload;
  }
};

class memory_machine : public state_machine {
public:
  bytes apply(const committed_entry& entry) override {
    std::lock_guard<std::mutex> guard{mtx_};
    apply_thread_ = std::this_thread::get_id();
    if (entry.index <= applied_)
      return {};
    applied_ = entry.index;
    records_.push_back(applied_record{entry.index, std::string(entry.data, entry.size)});
    if (entry.ticket != 0)
      ++tickets_seen_;
    std::string outcome = "applied " + std::to_string(entry.index);
    return bytes(outcome.begin(), outcome.end());
  }

  caf::expected<snapshot_image> snapshot(uint64_t index) override {
    std::lock_guard<std::mutex> guard{mtx_};
    if (fail_snapshots_)
      return make_error(errc::snapshot_failed, "memory_machine told to fail");
    ++snapshots_;
    snapshot_thread_ = std::this_thread::get_id();
    snapshot_indexes_.push_back(index);
    // Two chunks, to exercise the concatenation: a header and the records.
    // Everything up to `index` is in the state, even when the entries after the last
    // command were barriers or configuration changes that a state machine never sees.
    applied_ = std::max(applied_, index);
    bytes head;
    put(head, applied_);
    put(head, records_.size());
    bytes body;
    for (auto& r : records_) {
      put(body, r.index);
      put(body, r.payload.size());
      body.insert(body.end(), r.payload.begin(), r.payload.end());
    }
    snapshot_image image;
    image.chunks.push_back(std::move(head));
    image.chunks.push_back(std::move(body));
    return image;
  }

  caf::error restore(uint64_t index, bytes image) override {
    std::lock_guard<std::mutex> guard{mtx_};
    restore_indexes_.push_back(index);
    size_t pos = 0;
    uint64_t applied = 0;
    uint64_t n = 0;
    if (!get(image, pos, applied) || !get(image, pos, n))
      return make_error(errc::snapshot_failed, "memory_machine: truncated snapshot");
    std::vector<applied_record> records;
    for (uint64_t i = 0; i < n; ++i) {
      applied_record r;
      uint64_t size = 0;
      if (!get(image, pos, r.index) || !get(image, pos, size) || image.size() - pos < size)
        return make_error(errc::snapshot_failed, "memory_machine: truncated record");
      r.payload.assign(image.data() + pos, size);
      pos += size;
      records.push_back(std::move(r));
    }
    if (applied < index)
      return make_error(errc::snapshot_failed, "memory_machine: snapshot older than its index");
    if (applied <= applied_)
      return caf::error{}; // the state already holds everything the snapshot does
    applied_ = applied;
    records_ = std::move(records);
    return caf::error{};
  }

  std::vector<applied_record> records() const {
    std::lock_guard<std::mutex> guard{mtx_};
    return records_;
  }

  std::vector<std::string> payloads() const {
    std::lock_guard<std::mutex> guard{mtx_};
    std::vector<std::string> out;
    for (auto& r : records_)
      out.push_back(r.payload);
    return out;
  }

  uint64_t applied() const {
    std::lock_guard<std::mutex> guard{mtx_};
    return applied_;
  }

  size_t snapshots() const {
    std::lock_guard<std::mutex> guard{mtx_};
    return snapshots_;
  }

  std::vector<uint64_t> snapshot_indexes() const {
    std::lock_guard<std::mutex> guard{mtx_};
    return snapshot_indexes_;
  }

  std::vector<uint64_t> restore_indexes() const {
    std::lock_guard<std::mutex> guard{mtx_};
    return restore_indexes_;
  }

  size_t tickets_seen() const {
    std::lock_guard<std::mutex> guard{mtx_};
    return tickets_seen_;
  }

  /// The threads that ran the latest `apply` and `snapshot`.
  std::pair<std::thread::id, std::thread::id> threads() const {
    std::lock_guard<std::mutex> guard{mtx_};
    return {apply_thread_, snapshot_thread_};
  }

  void fail_snapshots(bool flag) {
    std::lock_guard<std::mutex> guard{mtx_};
    fail_snapshots_ = flag;
  }

private:
  static void put(bytes& out, uint64_t x) {
    char buf[8];
    std::memcpy(buf, &x, 8);
    out.insert(out.end(), buf, buf + 8);
  }

  static bool get(const bytes& in, size_t& pos, uint64_t& x) {
    if (in.size() - pos < 8)
      return false;
    std::memcpy(&x, in.data() + pos, 8);
    pos += 8;
    return true;
  }

  mutable std::mutex mtx_;
  uint64_t applied_ = 0;
  std::vector<applied_record> records_;
  size_t snapshots_ = 0;
  std::vector<uint64_t> snapshot_indexes_;
  std::vector<uint64_t> restore_indexes_;
  size_t tickets_seen_ = 0;
  bool fail_snapshots_ = false;
  std::thread::id apply_thread_;
  std::thread::id snapshot_thread_;
};

} // namespace ooo::storage::replication::test

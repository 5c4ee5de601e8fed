#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>

#include "caf/error.hpp"

#include "persistence/adapter.hpp"

namespace ooo::storage {

/// An adapter for tests that fails writes on demand. It either wraps another adapter or, when
/// given none, keeps the records in memory so that tests need no disk. A failed write returns
/// `persistence_failed` ("injected fault: ...") and applies nothing of its batch.
///
/// The faults live in a shared `controls` object: a test keeps a `std::shared_ptr` to it, hands
/// the adapter itself (as `std::unique_ptr<adapter>`) to the persistence actor and keeps
/// adjusting faults and reading counters from the test thread while the actor writes.
class faulty_adapter : public adapter {
public:
  /// Fault settings and counters. Every member function is thread-safe.
  class controls {
  public:
    /// Fails the `n`-th call of `write` (1-based, counting every call since construction or
    /// the last `reset`, failed ones included) once; 0 turns this fault off.
    void fail_nth_write(uint64_t n);

    /// Fails every call of `write` while `value` is true.
    void fail_every_write(bool value);

    /// Fails every batch that contains a change (put or delete) of `key`.
    void fail_key(std::string key);

    /// Stops failing batches because of a key.
    void clear_fail_key();

    /// Fails every call of `load` while `value` is true.
    void fail_load(bool value);

    /// Turns every fault off and sets the write counters to 0 (`records` stays).
    void reset();

    /// The number of `write` calls so far, failed ones included.
    uint64_t write_calls() const noexcept {
      return write_calls_.load();
    }

    /// The number of `write` calls that failed because of an injected fault.
    uint64_t failed_writes() const noexcept {
      return failed_writes_.load();
    }

    /// The number of keys the adapter holds (for a wrapped adapter: the keys seen by `load`
    /// plus those written through this adapter, minus those deleted).
    size_t records() const noexcept {
      return records_.load();
    }

  private:
    friend class faulty_adapter;

    /// Counts a write call and returns the injected fault for `batch`, if any.
    caf::error check_write(const std::vector<change>& batch);

    /// Returns the injected fault for a load, if any.
    caf::error check_load();

    mutable std::mutex mtx_;
    uint64_t fail_nth_write_ = 0;
    bool fail_every_write_ = false;
    bool fail_load_ = false;
    bool has_fail_key_ = false;
    std::string fail_key_;
    std::atomic<uint64_t> write_calls_{0};
    std::atomic<uint64_t> failed_writes_{0};
    std::atomic<size_t> records_{0};
  };

  /// Wraps `inner`, or keeps records in memory if `inner` is null.
  explicit faulty_adapter(std::unique_ptr<adapter> inner = nullptr);

  /// Like the other constructor, but with controls that the caller already holds.
  faulty_adapter(std::shared_ptr<controls> ctl, std::unique_ptr<adapter> inner);

  ~faulty_adapter() override;

  /// The shared fault settings and counters.
  const std::shared_ptr<controls>& ctl() const noexcept {
    return ctl_;
  }

  /// Fails if a fault applies; otherwise forwards to the wrapped adapter or applies `batch` to
  /// the in-memory records.
  caf::error write(const std::vector<change>& batch, uint64_t last_revision) override;

  /// Fails if `fail_load` is on; otherwise forwards to the wrapped adapter or replays the
  /// in-memory records in key order.
  caf::error load(const std::function<void(object&&)>& sink, uint64_t& last_revision) override;

  /// Forwarded to the inner adapter; without one there is no history.
  void retain_history(uint64_t revisions, uint64_t bytes) override;

  caf::error load_history(const std::function<void(event&&)>& sink, uint64_t last_revision,
                          uint64_t& compacted) override;

  /// Forwarded to the inner adapter.
  caf::error close() override;
  caf::error reopen() override;

private:
  std::shared_ptr<controls> ctl_;
  std::unique_ptr<adapter> inner_;
  /// The in-memory records (without `inner_`).
  std::map<std::string, object> records_;
  uint64_t last_revision_ = 0;
  /// The keys held by `inner_` as far as this adapter has seen them (with `inner_`).
  std::set<std::string> inner_keys_;
};

} // namespace ooo::storage

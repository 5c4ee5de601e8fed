#pragma once

#include <cstddef>
#include <memory>
#include <utility>
#include <vector>

#include "caf/error.hpp"
#include "caf/response_promise.hpp"

#include "messages/object.hpp"

namespace ooo::storage {

/// The results of a batch's part on one shard, filled in as its operations finish; the answer
/// goes out when the last one is in.
struct batch_part {
  caf::response_promise promise;
  std::vector<batch_result> results;
  size_t missing = 0;

  void fill(size_t index, batch_result x) {
    results[index] = std::move(x);
    if (--missing == 0)
      promise.deliver(std::move(results));
  }
};

/// Where an operation's answer goes: the requester's response promise, or its slot in a batch.
/// Copyable, so that an operation that waits can carry it.
class answer {
public:
  answer() = default;

  explicit answer(caf::response_promise rp) : promise_(std::move(rp)) {
    // nop
  }

  answer(std::shared_ptr<batch_part> part, size_t index)
    : part_(std::move(part)), index_(index) {
    // nop
  }

  void operator()(caf::error err) {
    if (part_) {
      batch_result x;
      x.error = std::move(err);
      part_->fill(index_, std::move(x));
    } else {
      promise_.deliver(std::move(err));
    }
  }

  void operator()(receipt x) {
    if (part_) {
      batch_result r;
      r.written = std::move(x);
      part_->fill(index_, std::move(r));
    } else {
      promise_.deliver(std::move(x));
    }
  }

  void operator()(object x) {
    if (part_) {
      batch_result r;
      r.read = std::move(x);
      part_->fill(index_, std::move(r));
    } else {
      promise_.deliver(std::move(x));
    }
  }

  void operator()(deleted x) {
    if (part_) {
      batch_result r;
      r.removed = x;
      part_->fill(index_, std::move(r));
    } else {
      promise_.deliver(x);
    }
  }

  /// Lock answers (never part of a batch).
  template <class T>
  void reply(T x) {
    promise_.deliver(std::move(x));
  }

private:
  caf::response_promise promise_;
  std::shared_ptr<batch_part> part_;
  size_t index_ = 0;
};

} // namespace ooo::storage

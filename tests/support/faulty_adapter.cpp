#include "tests/support/faulty_adapter.hpp"

#include "messages/errc.hpp"

namespace ooo::storage {

void faulty_adapter::controls::fail_nth_write(uint64_t n) {
  std::lock_guard<std::mutex> guard{mtx_};
  fail_nth_write_ = n;
}

void faulty_adapter::controls::fail_every_write(bool value) {
  std::lock_guard<std::mutex> guard{mtx_};
  fail_every_write_ = value;
}

void faulty_adapter::controls::fail_key(std::string key) {
  std::lock_guard<std::mutex> guard{mtx_};
  has_fail_key_ = true;
  fail_key_ = std::move(key);
}

void faulty_adapter::controls::clear_fail_key() {
  std::lock_guard<std::mutex> guard{mtx_};
  has_fail_key_ = false;
  fail_key_.clear();
}

void faulty_adapter::controls::fail_load(bool value) {
  std::lock_guard<std::mutex> guard{mtx_};
  fail_load_ = value;
}

void faulty_adapter::controls::reset() {
  std::lock_guard<std::mutex> guard{mtx_};
  fail_nth_write_ = 0;
  fail_every_write_ = false;
  fail_load_ = false;
  has_fail_key_ = false;
  fail_key_.clear();
  write_calls_ = 0;
  failed_writes_ = 0;
}

caf::error faulty_adapter::controls::check_write(const std::vector<change>& batch) {
  std::lock_guard<std::mutex> guard{mtx_};
  auto call = ++write_calls_;
  caf::error result;
  if (fail_every_write_) {
    result = make_error(errc::persistence_failed, "injected fault: every write fails");
  } else if (call == fail_nth_write_) {
    result = make_error(errc::persistence_failed,
                        "injected fault: write call " + std::to_string(call) + " fails");
  } else if (has_fail_key_) {
    for (auto& x : batch)
      if (x.key == fail_key_) {
        result = make_error(errc::persistence_failed,
                            "injected fault: batch contains key '" + x.key + "'");
        break;
      }
  }
  if (result)
    ++failed_writes_;
  return result;
}

caf::error faulty_adapter::controls::check_load() {
  std::lock_guard<std::mutex> guard{mtx_};
  if (fail_load_)
    return make_error(errc::persistence_failed, "injected fault: load fails");
  return caf::none;
}

faulty_adapter::faulty_adapter(std::unique_ptr<adapter> inner)
  : faulty_adapter(std::make_shared<controls>(), std::move(inner)) {
  // nop
}

faulty_adapter::faulty_adapter(std::shared_ptr<controls> ctl, std::unique_ptr<adapter> inner)
  : ctl_(ctl ? std::move(ctl) : std::make_shared<controls>()), inner_(std::move(inner)) {
  // nop
}

faulty_adapter::~faulty_adapter() {
  // nop
}

caf::error faulty_adapter::write(const std::vector<change>& batch, uint64_t last_revision) {
  if (auto err = ctl_->check_write(batch))
    return err;
  if (inner_) {
    if (auto err = inner_->write(batch, last_revision))
      return err;
    for (auto& x : batch)
      if (x.put)
        inner_keys_.insert(x.key);
      else
        inner_keys_.erase(x.key);
    ctl_->records_ = inner_keys_.size();
    return caf::none;
  }
  for (auto& x : batch)
    if (x.put) {
      auto& stored = records_[x.key];
      stored = x.value;
      stored.path = x.key;
    } else {
      records_.erase(x.key);
    }
  last_revision_ = last_revision;
  ctl_->records_ = records_.size();
  return caf::none;
}

caf::error faulty_adapter::load(const std::function<void(object&&)>& sink,
                                uint64_t& last_revision) {
  if (auto err = ctl_->check_load())
    return err;
  if (inner_) {
    auto collect = [this, &sink](object&& x) {
      inner_keys_.insert(x.path);
      sink(std::move(x));
    };
    if (auto err = inner_->load(collect, last_revision))
      return err;
    ctl_->records_ = inner_keys_.size();
    return caf::none;
  }
  for (auto& [key, value] : records_) {
    auto copy = value;
    sink(std::move(copy));
  }
  last_revision = last_revision_;
  return caf::none;
}

void faulty_adapter::retain_history(uint64_t revisions, uint64_t bytes) {
  if (inner_)
    inner_->retain_history(revisions, bytes);
}

caf::error faulty_adapter::load_history(const std::function<void(event&&)>& sink,
                                        uint64_t last_revision, uint64_t& compacted) {
  if (inner_)
    return inner_->load_history(sink, last_revision, compacted);
  return adapter::load_history(sink, last_revision, compacted);
}

caf::error faulty_adapter::close() {
  return inner_ ? inner_->close() : caf::none;
}

caf::error faulty_adapter::reopen() {
  return inner_ ? inner_->reopen() : caf::none;
}

} // namespace ooo::storage

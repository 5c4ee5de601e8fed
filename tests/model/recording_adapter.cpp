#include "tests/model/recording_adapter.hpp"

namespace ooo::storage::model {

recording_adapter::recording_adapter(std::unique_ptr<adapter> inner,
                                     std::shared_ptr<history> log)
  : inner_(std::move(inner)), log_(std::move(log)) {
  // nop
}

caf::error recording_adapter::write(const std::vector<change>& batch, uint64_t last_revision) {
  if (auto err = inner_->write(batch, last_revision))
    return err;
  log_->record_commits(batch, unit_ends(batch));
  return caf::none;
}

caf::error recording_adapter::load(const std::function<void(object&&)>& sink,
                                   uint64_t& last_revision) {
  return inner_->load(sink, last_revision);
}

void recording_adapter::retain_history(uint64_t revisions, uint64_t bytes) {
  inner_->retain_history(revisions, bytes);
}

caf::error recording_adapter::load_history(const std::function<void(event&&)>& sink,
                                           uint64_t last_revision, uint64_t& compacted) {
  return inner_->load_history(sink, last_revision, compacted);
}

caf::error recording_adapter::close() {
  return inner_->close();
}

caf::error recording_adapter::reopen() {
  return inner_->reopen();
}

} // namespace ooo::storage::model

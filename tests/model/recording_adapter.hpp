#pragma once

#include <memory>

#include "persistence/adapter.hpp"
#include "tests/model/history.hpp"

namespace ooo::storage::model {

/// Wraps the adapter a store writes through and records every batch it accepts, with the tick
/// of its acceptance: the commit log that the checker takes as what persistence accepted.
class recording_adapter : public adapter {
public:
  recording_adapter(std::unique_ptr<adapter> inner, std::shared_ptr<history> log);

  caf::error write(const std::vector<change>& batch, uint64_t last_revision) override;

  caf::error load(const std::function<void(object&&)>& sink, uint64_t& last_revision) override;

  void retain_history(uint64_t revisions, uint64_t bytes) override;

  caf::error load_history(const std::function<void(event&&)>& sink, uint64_t last_revision,
                          uint64_t& compacted) override;

  caf::error close() override;

  caf::error reopen() override;

private:
  std::unique_ptr<adapter> inner_;
  std::shared_ptr<history> log_;
};

} // namespace ooo::storage::model

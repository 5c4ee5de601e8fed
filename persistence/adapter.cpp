#include "persistence/adapter.hpp"

#include "messages/errc.hpp"

namespace ooo::storage {

adapter::~adapter() {
  // nop
}

void adapter::retain_history(uint64_t, uint64_t) {
  // nop
}

caf::error adapter::load_history(const std::function<void(event&&)>&, uint64_t last_revision,
                                 uint64_t& compacted) {
  compacted = last_revision;
  return caf::none;
}

void adapter::gauges(std::map<std::string, uint64_t>&) {
  // nop
}

caf::error adapter::close() {
  return caf::none;
}

caf::error adapter::reopen() {
  return caf::none;
}

caf::error adapter::write_replicated(const std::vector<change>&, uint64_t, const std::string&) {
  return make_error(errc::persistence_failed, "this persistent layer cannot be replicated");
}

caf::error adapter::replicated_position(std::string&) {
  return make_error(errc::persistence_failed, "this persistent layer cannot be replicated");
}

caf::error adapter::checkpoint(const std::string&) {
  return make_error(errc::persistence_failed, "this persistent layer has no checkpoints");
}

const char* to_string(durability x) {
  switch (x) {
    case durability::memory:
      return "memory";
    case durability::async:
      return "async";
    default:
      return "sync";
  }
}

bool from_string(const std::string& name, durability& x) {
  if (name == "memory")
    x = durability::memory;
  else if (name == "async")
    x = durability::async;
  else if (name == "sync")
    x = durability::sync;
  else
    return false;
  return true;
}

std::vector<uint64_t> unit_ends(const std::vector<change>& batch) {
  std::vector<uint64_t> result(batch.size());
  uint64_t unit = 0;
  for (size_t i = batch.size(); i-- > 0;) {
    if (!batch[i].unit_continues || i + 1 == batch.size())
      unit = batch[i].value.revision;
    result[i] = unit;
  }
  return result;
}

} // namespace ooo::storage

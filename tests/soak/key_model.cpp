#include "tests/soak/key_model.hpp"

#include <atomic>

#include "tests/soak/key_ids.hpp"

namespace ooo::storage::soak {

namespace {

/// Orders the changes of one key across threads (the shared counter); any order of other keys
/// is fine, since each belongs to one thread.
std::atomic<uint64_t> next_seq{0};

} // namespace

const bytes* key_model::find(const std::string& key) const {
  auto i = values_.find(key);
  return i == values_.end() ? nullptr : &i->second;
}

void key_model::put(const std::string& key, bytes value, uint64_t revision) {
  assign(key, std::move(value));
  log_set(key, revision);
}

void key_model::assign(const std::string& key, bytes value) {
  values_[key] = std::move(value);
}

void key_model::log_set(const std::string& key, uint64_t revision) {
  log(key, revision, op_set);
}

void key_model::erase(const std::string& key) {
  values_.erase(key);
  log(key, 0, op_del);
}

void key_model::erase_silent(const std::string& key) {
  values_.erase(key);
  ++silent_deletes_;
}

void key_model::log(const std::string& key, uint64_t revision, uint8_t op) {
  changes_.push_back(op_record{next_seq++, id_of(key), revision, op});
  count_log_bytes(sizeof(op_record));
}

} // namespace ooo::storage::soak

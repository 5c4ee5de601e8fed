#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <string>

#include "messages/object.hpp"
#include "tests/soak/observations.hpp"

namespace ooo::storage::soak {

/// The model the store is checked against: what the keys of one writer thread hold, and the
/// visible changes it made to them in order. Only its thread touches it while the workload
/// runs (each thread owns its keys, `s<t>/...`), so it needs no lock.
class key_model {
public:
  /// Every key of the thread and its value.
  const std::map<std::string, bytes>& values() const {
    return values_;
  }

  /// The value of `key`, or null if the key does not exist.
  const bytes* find(const std::string& key) const;

  /// A set the store confirmed at `revision`: the key holds `value`, a `set` was seen.
  void put(const std::string& key, bytes value, uint64_t revision);

  /// The key holds `value` (its change is logged separately, see `log_set`).
  void assign(const std::string& key, bytes value);

  /// A visible set of `key` at `revision`, e.g. of the shared counter, which no thread models.
  void log_set(const std::string& key, uint64_t revision);

  /// A confirmed delete with an event.
  void erase(const std::string& key);

  /// A confirmed silent delete: a revision without an event.
  void erase_silent(const std::string& key);

  /// The visible changes in the order the thread made them; the checks take them.
  std::deque<op_record>& changes() {
    return changes_;
  }

  /// Silent deletes that removed a key.
  uint64_t silent_deletes() const {
    return silent_deletes_;
  }

private:
  void log(const std::string& key, uint64_t revision, uint8_t op);

  std::map<std::string, bytes> values_;
  std::deque<op_record> changes_;
  uint64_t silent_deletes_ = 0;
};

} // namespace ooo::storage::soak

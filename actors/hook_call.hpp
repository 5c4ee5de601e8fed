#pragma once

#include <exception>
#include <string>
#include <string_view>

namespace ooo::storage {

/// Logs that the user hook `hook` threw `what` while handling `key` (at most a few lines a
/// second, so a hook failing on every write cannot flood the log).
void log_hook_failure(std::string_view hook, std::string_view key, std::string_view what);

/// Calls the user hook `f`. Hooks are user code: an exception must never unwind through a shard
/// or the event log, which would take every other key and subscriber down with it. Returns
/// empty if `f` returned normally, else what it threw (already logged).
template <class F>
std::string call_hook(std::string_view hook, std::string_view key, F&& f) noexcept {
  std::string failure;
  try {
    f();
    return failure;
  } catch (const std::exception& e) {
    failure = e.what();
  } catch (...) {
    failure = "an exception that is not a std::exception";
  }
  if (failure.empty())
    failure = "an exception without a message";
  log_hook_failure(hook, key, failure);
  return failure;
}

} // namespace ooo::storage

#pragma once

#include <cstddef>
#include <map>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>

#include "caf/actor_clock.hpp"
#include "caf/actor_system.hpp"
#include "caf/scoped_actor.hpp"

#include "actors/layered.hpp"
#include "messages/errc.hpp"

namespace ooo::storage::soak {

// How the soak opens and talks to the store under test.

/// The store's shard count during the soak.
constexpr size_t soak_shards = 4;

/// A store error as text, for failure messages.
inline std::string text(const caf::error& err) {
  return render(err);
}

/// One request from `self` to `store`, waiting at most `timeout` for the answer: for the
/// messages the facade has no call for (push with its receipt, the counter's token writes).
template <class T, class... Ts>
caf::expected<T> ask(caf::scoped_actor& self, const store_actor& store, caf::timespan timeout,
                     Ts&&... xs) {
  caf::expected<T> result{caf::error{}};
  auto on_error = [&](caf::error& err) { result = std::move(err); };
  auto hdl = self->request(store, timeout, std::forward<Ts>(xs)...);
  if constexpr (std::is_void<T>::value)
    hdl.receive([&] { result = caf::expected<void>{}; }, on_error);
  else
    hdl.receive([&](T& x) { result = std::move(x); }, on_error);
  // Like the facade: a blocking actor's answered request keeps its timeout armed otherwise.
  self->system().clock().cancel_request_timeout(self.ptr(), hdl.id());
  return result;
}

/// Opens RocksDB in `dir` (`durability::async`) and starts a facade on it; null (and a failure
/// recorded) if either fails.
std::unique_ptr<layered> open_store(const std::string& dir, const options& opts);

/// Every key of the store with its object (failures recorded for keys that cannot be read).
std::map<std::string, object> snapshot(layered& store);

} // namespace ooo::storage::soak

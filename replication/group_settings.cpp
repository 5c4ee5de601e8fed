#include "replication/group_settings.hpp"

#include "replication/errc.hpp"

namespace ooo::storage::replication {

caf::error validate(const group_settings& settings) {
  if (auto err = validate(settings.node))
    return err;
  if (settings.max_pending == 0)
    return make_error(errc::invalid_config, "max_pending must be positive");
  return caf::error{};
}

} // namespace ooo::storage::replication

#include "replication/register_types.hpp"

#include "replication/errc.hpp"
#include "replication/group_settings.hpp"
#include "replication/member.hpp"
#include "replication/node_config.hpp"
#include "replication/node_status.hpp"
#include "replication/state_machine.hpp"

namespace ooo::storage::replication {

void register_types(caf::actor_system_config& cfg) {
  cfg.add_message_type<member>("ooo::storage::replication::member");
  cfg.add_message_type<std::vector<member>>("std::vector<ooo::storage::replication::member>");
  cfg.add_message_type<member_role>("ooo::storage::replication::member_role");
  cfg.add_message_type<node_config>("ooo::storage::replication::node_config");
  cfg.add_message_type<group_settings>("ooo::storage::replication::group_settings");
  cfg.add_message_type<node_status>("ooo::storage::replication::node_status");
  cfg.add_message_type<snapshot_image>("ooo::storage::replication::snapshot_image");
  cfg.add_error_category(error_category,
                         [](uint8_t code, caf::atom_value, const caf::message& context) {
                           return render(code, context);
                         });
}

} // namespace ooo::storage::replication

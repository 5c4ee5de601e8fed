#include "messages/register_types.hpp"

#include "messages/errc.hpp"
#include "messages/object.hpp"
#include "messages/store_actor.hpp"

namespace ooo::storage {

void register_types(caf::actor_system_config& cfg) {
  cfg.add_message_type<bytes>("ooo::storage::bytes");
  cfg.add_message_type<object>("ooo::storage::object");
  cfg.add_message_type<receipt>("ooo::storage::receipt");
  cfg.add_message_type<deleted>("ooo::storage::deleted");
  cfg.add_message_type<batch_op>("ooo::storage::batch_op");
  cfg.add_message_type<std::vector<batch_op>>("std::vector<ooo::storage::batch_op>");
  cfg.add_message_type<batch_result>("ooo::storage::batch_result");
  cfg.add_message_type<std::vector<batch_result>>("std::vector<ooo::storage::batch_result>");
  cfg.add_message_type<write_options>("ooo::storage::write_options");
  cfg.add_message_type<list_options>("ooo::storage::list_options");
  cfg.add_message_type<lock_grant>("ooo::storage::lock_grant");
  cfg.add_message_type<event>("ooo::storage::event");
  cfg.add_message_type<event_batch>("ooo::storage::event_batch");
  cfg.add_message_type<subscribe_options>("ooo::storage::subscribe_options");
  cfg.add_message_type<lagged>("ooo::storage::lagged");
  cfg.add_message_type<store_stats>("ooo::storage::store_stats");
  cfg.add_message_type<change>("ooo::storage::change");
  cfg.add_message_type<store_actor>("ooo::storage::store_actor");
  cfg.add_error_category(error_category,
                         [](uint8_t code, caf::atom_value, const caf::message& context) {
                           return render(code, context);
                         });
}

} // namespace ooo::storage

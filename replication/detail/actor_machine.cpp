#include "replication/detail/actor_machine.hpp"

#include "caf/actor.hpp"
#include "caf/actor_cast.hpp"
#include "caf/send.hpp"

#include "replication/detail/replica.hpp"
#include "replication/errc.hpp"

namespace ooo::storage::replication::detail {

actor_machine::actor_machine(caf::actor_addr replicator, group_id group, uint64_t incarnation,
                             std::chrono::milliseconds snapshot_timeout,
                             std::chrono::milliseconds restore_timeout)
  : replicator_(std::move(replicator)),
    group_(group),
    incarnation_(incarnation),
    snapshot_timeout_(snapshot_timeout),
    restore_timeout_(restore_timeout) {
  // nop
}

bool actor_machine::post(std::function<void(replica&)> event) const {
  auto hdl = caf::actor_cast<caf::actor>(replicator_);
  if (!hdl)
    return false;
  caf::anon_send(hdl, loop_event_atom::value, group_, incarnation_,
                 loop_event{std::move(event)});
  return true;
}

void actor_machine::cancel() {
  cancelled_ = true;
}

bytes actor_machine::apply(const committed_entry& entry) {
  // One copy per entry, into the message for the sink (libraft owns the entry's buffer).
  bytes payload(entry.data, entry.data + entry.size);
  post([index = entry.index, ticket = entry.ticket, payload = std::move(payload)](
         replica& r) mutable { r.on_entry(index, std::move(payload), ticket); });
  // The outcome reaches the proposer through the sink's answer, not through libraft.
  return {};
}

caf::expected<snapshot_image> actor_machine::snapshot(uint64_t index) {
  if (cancelled_)
    return make_error(errc::shutting_down);
  auto result = std::make_shared<pending_result<caf::expected<snapshot_image>>>();
  if (!post([index, result](replica& r) { r.on_snapshot(index, result); }))
    return make_error(errc::shutting_down);
  auto value = result->wait(snapshot_timeout_, cancelled_);
  if (!value)
    return make_error(errc::snapshot_failed, cancelled_ ? "the group is closing"
                                                        : "the sink did not answer in time");
  return std::move(*value);
}

caf::error actor_machine::restore(uint64_t index, bytes image) {
  if (cancelled_)
    return make_error(errc::shutting_down);
  auto result = std::make_shared<pending_result<caf::error>>();
  if (!post([index, result, image = std::move(image)](replica& r) mutable {
        r.on_restore(index, std::move(image), result);
      }))
    return make_error(errc::shutting_down);
  auto value = result->wait(restore_timeout_, cancelled_);
  if (!value)
    return make_error(errc::snapshot_failed, cancelled_ ? "the group is closing"
                                                        : "the sink did not restore in time");
  return std::move(*value);
}

} // namespace ooo::storage::replication::detail

#include "apps/cli/watch.hpp"

#include <iostream>
#include <memory>

#include "caf/event_based_actor.hpp"
#include "caf/send.hpp"

#include "apps/cli/exit_code.hpp"
#include "apps/cli/interrupts.hpp"
#include "apps/render/json.hpp"
#include "messages/errc.hpp"

namespace ooo::storage::cli {

namespace {

namespace rj = render_json;

/// Prints every event it receives; quits after `count` of them (0: never). Returning from the
/// handler answers the batch's request, which acknowledges it to the store.
caf::behavior printer(caf::event_based_actor* self, uint64_t count) {
  auto seen = std::make_shared<uint64_t>(0);
  return {
    [=](const event_batch& batch) {
      for (auto& ev : batch.events) {
        if (count > 0 && *seen >= count)
          return;
        std::cout << rj::line(rj::event(ev)) << '\n';
        if (count > 0 && ++*seen == count)
          self->quit();
      }
      std::cout << std::flush;
    },
    [=](const lagged& x) {
      if (x.ended) {
        std::cerr << "error: " << render(make_error(errc::compacted, "the subscription fell out "
                                                      "of the retained history; resume with "
                                                      "--since "
                                                      + std::to_string(x.resume_from)))
                  << std::endl;
        self->quit(make_error(errc::compacted));
        return;
      }
      std::cerr << "warning: missed " << x.dropped << " events; resume with --since "
                << x.resume_from << std::endl;
    },
  };
}

} // namespace

int run_watch(session& s, const command_line& cmd) {
  auto& sys = s.system();
  auto watcher = sys.spawn(printer, cmd.count);
  caf::expected<uint64_t> id{caf::error{}};
  if (cmd.has_since) {
    subscribe_options opts;
    opts.resume = true;
    opts.since = cmd.since;
    id = s.call<uint64_t>(caf::subscribe_atom::value, cmd.key, watcher, opts);
  } else {
    id = s.call<uint64_t>(caf::subscribe_atom::value, cmd.key, watcher);
  }
  if (!id) {
    caf::anon_send_exit(watcher, caf::exit_reason::user_shutdown);
    return s.report(id.error());
  }
  auto& self = s.self();
  self->monitor(watcher);
  self->monitor(s.store());
  interrupts stop;
  stop.start([watcher] { caf::anon_send_exit(watcher, caf::exit_reason::user_shutdown); });
  int code = ok;
  bool done = false;
  self->receive_while([&] { return !done; })([&](caf::down_msg& msg) {
    done = true;
    if (msg.source == watcher.address()) {
      if (is(msg.reason, errc::compacted))
        code = store_error;
      return;
    }
    std::cerr << "error: node " << s.address().to_string()
              << " unreachable: lost the connection" << std::endl;
    code = unreachable;
  });
  if (code != unreachable) {
    // Best effort: the store also drops the subscription once the watcher is gone.
    static_cast<void>(s.call<void>(caf::unsubscribe_atom::value, *id));
  }
  caf::anon_send_exit(watcher, caf::exit_reason::user_shutdown);
  return code;
}

} // namespace ooo::storage::cli
